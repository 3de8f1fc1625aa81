/**
 * What a drawn page tells the app: what to do when the user leaves it, and, for a page that
 * keeps its state in the address's query (`#/projects/p/feed?outcome=denied`), how to follow
 * a new query without being drawn again (back and forward between its filters keep the
 * live feed's connection and rows).
 *
 * @example
 * ```ts
 * const handle: PageHandle = { leave: () => source.close(), query: (q) => applyFilters(q) };
 * ```
 */
export interface PageHandle {
  leave?(): void;
  query?(query: URLSearchParams): void;
}

/**
 * A page: draws itself into `main` and returns what to do when the user leaves it (a
 * function, or a {@link PageHandle}).
 *
 * @example
 * ```ts
 * const hello: Page = (main) => { main.textContent = 'hi'; return () => console.log('left'); };
 * ```
 */
export type Page = (main: HTMLElement, params: Record<string, string>) => void | (() => void) | PageHandle;

/**
 * The query of a hash route (`#/projects/p/feed?outcome=denied` → `outcome=denied`).
 *
 * @example
 * ```ts
 * hashQuery('#/projects/p/feed?outcome=denied').get('outcome'); // 'denied'
 * ```
 */
export function hashQuery(hash: string = location.hash): URLSearchParams {
  const at = hash.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
}

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
  /** Whether the page shows inside the signed-in shell (navigation, project picker). */
  shell: boolean;
}

/**
 * Hash routes (`#/projects/abc/feed`): the server serves one page at `/`, and every view
 * stays linkable, bookmarkable and works with the back button.
 *
 * @example
 * ```ts
 * const router = new Router().add('/projects/:project/feed', feedPage);
 * router.match('#/projects/p1/feed')?.params; // { project: 'p1' }
 * ```
 */
export class Router {
  private readonly routes: Route[] = [];

  add(path: string, page: Page, shell = true): this {
    const names: string[] = [];
    const source = path.replace(/:([a-z]+)/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ pattern: new RegExp(`^${source}$`), names, page, shell });
    return this;
  }

  match(hash: string): { route: Route; params: Record<string, string> } | undefined {
    const path = hash.replace(/^#/, '').split('?')[0] || '/';
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      return { route, params };
    }
    return undefined;
  }
}

/**
 * Navigates to a hash route. The app is marked `aria-busy` at once, until the new page is
 * drawn: the browser announces the route change only in a later task, and until then the
 * old page must not pass for the new one.
 *
 * @example
 * ```ts
 * go('/projects');
 * ```
 */
export function go(path: string): void {
  document.getElementById('app')?.setAttribute('aria-busy', 'true');
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = path;
}
