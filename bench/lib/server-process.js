'use strict';
/**
 * The AgentSudo server as the benchmarks run it: the built CLI in a child process, so its
 * CPU and memory are its own, and the client load in the benchmark's process.
 *
 * @example
 * const key = keyFrom(cli(['project', 'create', 'bench', '--db', file]));
 * const { child, url } = await startServer(['--db', file]);
 */
const { spawn, spawnSync } = require('node:child_process');
const { Buffer } = require('node:buffer');
const { readFileSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');
const { URL } = require('node:url');

const CLI = join(__dirname, '..', '..', 'packages', 'server', 'dist', 'cli.js');

/** Runs one `agentsudo-server` admin command and returns what it printed. */
function cli(args, env) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (res.status !== 0) throw new Error(res.stderr);
  return res.stdout;
}

/** The first `prefix…` key or token a command printed (`as_` keys, `asr_` read tokens). */
function keyFrom(stdout, prefix = 'as_') {
  const m = new RegExp(`(${prefix}[\\w-]{32,})`).exec(stdout);
  if (!m) throw new Error(`no ${prefix} key in: ${stdout}`);
  return m[1];
}

/**
 * Starts `agentsudo-server start` on a free port; resolves with the child and its URL.
 * `entry` is the script node runs, the CLI unless a benchmark wraps it (see
 * server-without-event-notify.js).
 */
function startServer(storageArgs, env, { entry = CLI } = {}) {
  const child = spawn(process.execPath, [entry, 'start', '--port', '0', ...storageArgs], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: new URL(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

/** Stops a server started by {@link startServer} and waits for it to exit. */
async function stopServer(child) {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * POSTs a JSON body of events to `/api/events` with the project key; resolves with the
 * parsed answer, rejects on any status but 200.
 */
function postEvents(agent, url, key, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/api/events',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': key,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (data += d));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(data))
            : reject(new Error(`HTTP ${res.statusCode}: ${data}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, MiB. */
function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

module.exports = { CLI, cli, keyFrom, startServer, stopServer, postEvents, cpuSeconds, rssMiB };
