import { createServer, dashboard, type AgentSudoServer } from '@agentsudo/server';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DemoUsageError, parseDemoOptions, type DemoOptions } from './options';

/** The demo's login; example.com is reserved for examples, so it is nobody's real address. */
const EMAIL = 'demo@example.com';

/**
 * The local dashboard with something in it: a fresh SQLite database, a demo project, a
 * login and the project's ingest key with the `export` lines to use it (printed), the
 * quickstart in cloud mode (examples/cloud) run against it, then serving until Ctrl+C.
 */
async function main(options: DemoOptions): Promise<void> {
  mkdirSync(options.dataDir, { recursive: true });
  const db = join(options.dataDir, 'dashboard-demo.db');
  // A fresh database each run: the login and key printed below are new every time, and
  // passwords and keys are stored only as hashes, so old ones could not be shown again.
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });

  const server = await createServer({ db, port: options.port, extend: dashboard() });
  const password = randomBytes(12).toString('base64url');
  await server.admin.createUser(EMAIL, password);
  const { project, apiKey } = await server.admin.createProject('demo');
  const url = await listen(server, options.port);

  console.log(`AgentSudo dashboard: ${url}/`);
  console.log(`  email:    ${EMAIL}`);
  console.log(`  password: ${password}`);
  console.log(`  project:  ${project.name} (${project.id})`);
  console.log(`  api key:  ${apiKey}`);
  console.log('');
  console.log('To send more checks to the demo project, paste in another terminal at the repository root:');
  console.log(`  export AGENTSUDO_ENDPOINT=${url}`);
  console.log(`  export AGENTSUDO_API_KEY=${apiKey}`);
  console.log('  node examples/cloud/dist/main.js');
  console.log('');
  console.log(`Running the quickstart in cloud mode against ${url} …`);

  const delivered = await runCloudExample(url, apiKey);
  console.log(
    delivered
      ? '  ☁️  both checks were sent to the dashboard'
      : '  ☁️  the checks could not be delivered; see the messages above',
  );

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nStopping (${reason}) …`);
    await server.close();
    console.log('Dashboard stopped.');
  };
  if (options.exitAfterMs !== undefined) {
    setTimeout(() => void stop(`after ${options.exitAfterMs} ms`), options.exitAfterMs);
    return;
  }
  console.log(`\nOpen ${url}/ and sign in to see the allowed and the denied check. Ctrl+C stops.`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // A second Ctrl+C while shutting down means "now".
      if (stopping) process.exit(130);
      void stop(signal);
    });
  }
}

/**
 * Runs the quickstart in cloud mode (examples/cloud, as built) with this dashboard's
 * address and key, the way a user would: AGENTSUDO_ENDPOINT and AGENTSUDO_API_KEY.
 * True when it exited cleanly after delivering its events.
 */
function runCloudExample(endpoint: string, apiKey: string): Promise<boolean> {
  const main = require.resolve('@agentsudo/example-cloud');
  const env = { ...process.env, AGENTSUDO_ENDPOINT: endpoint, AGENTSUDO_API_KEY: apiKey };
  const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  let stdout = '';
  // Both streams, indented, in the order the lines arrive.
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (stream === child.stdout) stdout += `${line}\n`;
      console.log(`  ${line}`);
    });
  }
  return new Promise((resolve) => {
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0 && stdout.includes(`events sent to ${endpoint}`)));
  });
}

async function listen(server: AgentSudoServer, port: number): Promise<string> {
  try {
    return await server.listen();
  } catch (err) {
    await server.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new DemoUsageError(
        `Port ${port} is in use (another dashboard?). Stop it, or pass --port 0 for a free port.`,
      );
    }
    throw err;
  }
}

let options: DemoOptions;
try {
  options = parseDemoOptions(process.argv.slice(2), process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
main(options).catch((err: Error) => {
  console.error(
    err instanceof DemoUsageError ? err.message : `dashboard demo failed: ${err.stack ?? err.message}`,
  );
  process.exitCode = 1;
});
