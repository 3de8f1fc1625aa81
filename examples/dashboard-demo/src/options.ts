import { resolve } from 'node:path';

/** How the demo runs, from its command line and environment. */
export interface DemoOptions {
  /** Port of the dashboard; 0 picks a free one. */
  port: number;
  /** Folder for the demo's SQLite file. */
  dataDir: string;
  /** Stop by itself this long after the checks are in (for scripts and tests); undefined: until Ctrl+C. */
  exitAfterMs?: number;
}

/** A command-line mistake, with the usage to show. */
export class DemoUsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'DemoUsageError';
  }
}

export const USAGE = `usage: node dist/main.js [--port N] [--data-dir DIR] [--once]
  --port N        dashboard port (default 4319; 0 picks a free port)
  --data-dir DIR  where the demo's SQLite file goes (default ./.agentsudo)
  --once          stop after the checks are in instead of serving until Ctrl+C
  env AGENTSUDO_DEMO_EXIT_AFTER_MS=N   serve N ms after the checks are in, then stop`;

function whole(name: string, raw: string | undefined, max: number): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new DemoUsageError(`${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(raw)}.`);
  }
  return n;
}

/** Reads `--port`, `--data-dir`, `--once` and `AGENTSUDO_DEMO_EXIT_AFTER_MS`. */
export function parseDemoOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions {
  const options: DemoOptions = { port: 4319, dataDir: resolve('.agentsudo') };
  if (env.AGENTSUDO_DEMO_EXIT_AFTER_MS !== undefined) {
    options.exitAfterMs = whole('AGENTSUDO_DEMO_EXIT_AFTER_MS', env.AGENTSUDO_DEMO_EXIT_AFTER_MS, 86_400_000);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') options.port = whole('--port', argv[++i], 65535);
    else if (arg === '--data-dir') {
      const dir = argv[++i];
      if (!dir) throw new DemoUsageError('--data-dir needs a folder.');
      options.dataDir = resolve(dir);
    } else if (arg === '--once') options.exitAfterMs = 0;
    else if (arg === '--help' || arg === '-h') throw new DemoUsageError('');
    else throw new DemoUsageError(`Unknown argument ${JSON.stringify(arg)}.`);
  }
  return options;
}
