import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A TCP proxy in its own process on 127.0.0.1, between the server and PostgreSQL, that can go
 * silent the way a network path does when a NAT or load balancer forgets the connection (or
 * a failover address accepts TCP but answers nothing): connections stay open, new ones are
 * accepted, and no byte gets through either way. Nothing is closed, so nothing is reported.
 */
export interface SilentProxy {
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  /** Stops (`silent`) or resumes (`pass`) forwarding, on open and new connections alike. */
  setMode(mode: 'pass' | 'silent'): Promise<ProxyCounts>;
  /** Closes every open connection, as a dropped path that does report itself. */
  cut(): Promise<ProxyCounts>;
  counts(): Promise<ProxyCounts>;
  stop(): Promise<void>;
}

/** Connections the proxy has accepted in all, and those still open. */
export interface ProxyCounts {
  accepted: number;
  open: number;
}

const PROXY = `
const net = require('node:net');
const [host, port] = [process.argv[1], Number(process.argv[2])];
let mode = 'pass';
let accepted = 0;
const pairs = new Set();
const server = net.createServer((client) => {
  accepted++;
  const upstream = net.connect(port, host);
  const pair = { client, upstream };
  pairs.add(pair);
  client.on('data', (d) => mode === 'pass' && upstream.write(d));
  upstream.on('data', (d) => mode === 'pass' && client.write(d));
  const done = () => { client.destroy(); upstream.destroy(); pairs.delete(pair); };
  client.on('error', done);
  client.on('close', done);
  // A silent path reports nothing, not even the database giving up on a connection (its
  // authentication_timeout): the client's side stays open until the client closes it.
  const upstreamGone = () => { if (mode === 'pass') done(); };
  upstream.on('error', upstreamGone);
  upstream.on('close', upstreamGone);
});
const counts = () => ({ accepted, open: pairs.size });
process.on('message', (m) => {
  if (m.cmd === 'mode') mode = m.mode;
  if (m.cmd === 'mode' && mode === 'pass') for (const p of [...pairs]) if (p.upstream.destroyed) p.client.destroy();
  if (m.cmd === 'cut') for (const p of [...pairs]) { p.client.destroy(); p.upstream.destroy(); pairs.delete(p); }
  process.send({ id: m.id, ...counts() });
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
`;

/** Starts a proxy to the PostgreSQL server of `url`. */
export function startSilentProxy(url: string): Promise<SilentProxy> {
  const target = new URL(url);
  const child: ChildProcess = spawn(process.execPath, ['-e', PROXY, target.hostname, target.port || '5432'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let next = 0;
  const pending = new Map<number, (c: ProxyCounts) => void>();
  const ask = (message: Record<string, unknown>): Promise<ProxyCounts> =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      child.send({ ...message, id });
    });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code}) before listening`)));
    child.on('message', (m: { port?: number; id?: number } & ProxyCounts) => {
      if (m.id !== undefined) {
        pending.get(m.id)?.({ accepted: m.accepted, open: m.open });
        pending.delete(m.id);
        return;
      }
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(m.port);
      resolve({
        url: proxied.toString(),
        setMode: (mode) => ask({ cmd: 'mode', mode }),
        cut: () => ask({ cmd: 'cut' }),
        counts: () => ask({ cmd: 'counts' }),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill();
          await exited;
        },
      });
    });
  });
}
