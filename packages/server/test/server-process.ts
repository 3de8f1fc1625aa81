import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The built server package (npm test builds first; `npm run build` otherwise). */
const BUILT = join(__dirname, '..', 'dist', 'index.js');

/**
 * A server in its own process, so a test can watch it from outside: if its event loop
 * stalls, the test process still runs and sees the server stop answering.
 */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  projectId: string;
  apiKey: string;
  readToken: string;
  /** Kills the process (SIGKILL: a stalled event loop would never see SIGTERM). */
  kill(): Promise<void>;
}

/** Starts the built server on a free 127.0.0.1 port over the SQLite file `db`, with one project. */
export function startServerProcess(db: string): Promise<ServerProcess> {
  const script = `
    const { createServer } = require(${JSON.stringify(BUILT)});
    (async () => {
      const server = await createServer({ db: ${JSON.stringify(db)}, port: 0, host: '127.0.0.1' });
      const { project, apiKey } = await server.admin.createProject('process-project');
      const { token } = await server.admin.createReadToken(project.id);
      const url = await server.listen();
      console.log(JSON.stringify({ url, projectId: project.id, apiKey, readToken: token }));
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      resolve({
        child,
        ...JSON.parse(line),
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.on('exit', (code) => reject(new Error(`server process exited (${code}) before listening: ${err}`)));
  });
}
