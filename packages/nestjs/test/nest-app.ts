import type { DynamicModule, INestApplication, LoggerService, ModuleMetadata, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

/** Nest's two HTTP platforms; every Nest suite runs on both. */
export const PLATFORMS = ['express', 'fastify'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** A Nest logger that keeps what was logged, by level. */
export class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  debug(message: unknown): void {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(message: unknown): void {
    this.lines.push({ level: 'verbose', message: String(message) });
  }
  /** The messages logged at `level`. */
  at(level: string): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.message);
  }
}

/** What an app under test is made of, and how it is set up before it listens. */
export interface AppSpec extends Pick<ModuleMetadata, 'controllers' | 'providers'> {
  imports: (DynamicModule | Type<unknown>)[];
  logger?: LoggerService | false;
  /** Runs before `app.listen` (global prefix, versioning, global filters…). */
  setup?: (app: INestApplication) => void;
}

/** Compiles a testing module and starts it on 127.0.0.1 at an ephemeral port, on `platform`. */
export async function startApp(platform: Platform, spec: AppSpec): Promise<INestApplication> {
  const builder = Test.createTestingModule({
    imports: spec.imports,
    controllers: spec.controllers ?? [],
    providers: spec.providers ?? [],
  });
  if (spec.logger) builder.setLogger(spec.logger);
  const moduleRef = await builder.compile();
  const logger = spec.logger ?? false;
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger })
      : moduleRef.createNestApplication({ logger });
  spec.setup?.(app);
  await app.listen(0, '127.0.0.1');
  return app;
}
