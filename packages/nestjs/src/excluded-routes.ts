import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants';
import type { ExcludedRoute } from './module-options';

interface Pattern {
  segments: string[];
  method: RequestMethod;
  versions: string[] | undefined;
}

/**
 * The module's `exclude` list, matched against a controller's routes as declared
 * (controller path + handler path), so a global prefix and URI versioning do not matter:
 * `'status'` covers `/status`, `/v1/status` and `/api/v1/status` alike. An entry with a
 * `version` covers only handlers declared with that version.
 *
 * @example
 * ```ts
 * const excluded = new ExcludedRoutes(['health', 'public/{*rest}']);
 * excluded.covers(HealthController, HealthController.prototype.check); // true
 * ```
 */
export class ExcludedRoutes {
  private readonly patterns: Pattern[];
  private readonly answers = new WeakMap<Function, boolean>();

  constructor(exclude: readonly ExcludedRoute[]) {
    this.patterns = exclude.map((entry) =>
      typeof entry === 'string'
        ? { segments: segmentsOf(entry), method: RequestMethod.ALL, versions: undefined }
        : {
            segments: segmentsOf(entry.path),
            method: entry.method,
            versions: entry.version === undefined ? undefined : [entry.version].flat(),
          },
    );
  }

  /**
   * True when every path of the handler's route matches an excluded entry.
   *
   * @example
   * ```ts
   * if (excluded.covers(context.getClass(), context.getHandler())) return true;
   * ```
   */
  covers(controller: Function, handler: Function): boolean {
    let answer = this.answers.get(handler);
    if (answer === undefined) {
      answer = this.patterns.length > 0 && this.decide(controller, handler);
      this.answers.set(handler, answer);
    }
    return answer;
  }

  private decide(controller: Function, handler: Function): boolean {
    const method = (Reflect.getMetadata(METHOD_METADATA, handler) ?? RequestMethod.GET) as RequestMethod;
    const version = [
      Reflect.getMetadata(VERSION_METADATA, handler) ?? Reflect.getMetadata(VERSION_METADATA, controller),
    ]
      .flat()
      .filter((v): v is string => typeof v === 'string');
    const routes = pathsOf(controller).flatMap((base) =>
      pathsOf(handler).map((path) => [...segmentsOf(base), ...segmentsOf(path)]),
    );
    return routes.every((route) =>
      this.patterns.some(
        (p) =>
          (p.method === RequestMethod.ALL || p.method === method) &&
          (p.versions === undefined || p.versions.some((v) => version.includes(v))) &&
          matches(route, p.segments),
      ),
    );
  }
}

function pathsOf(target: Function): string[] {
  const path = Reflect.getMetadata(PATH_METADATA, target) as string | string[] | undefined;
  return path === undefined ? ['/'] : [path].flat();
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/**
 * Whether a declared route (segments such as `customers`, `:id`) lies inside an exclude
 * pattern: a literal matches itself, `:name` any one segment, and a trailing `{*name}` or
 * `*` everything after it. One pass, no regular expression built from the pattern.
 */
function matches(route: string[], pattern: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith('{*') || p.startsWith('*')) return true;
    if (i >= route.length) return false;
    if (!p.startsWith(':') && p !== route[i]) return false;
  }
  return route.length === pattern.length;
}
