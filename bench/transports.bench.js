'use strict';
/**
 * What a transport costs per event: the console at its default level 'warn' on the
 * allowed path (it does not want allowed checks, so core builds no event at all), the
 * console formatting a denial, and the file transport appending one line synchronously
 * (with and without winston in front of the raw append).
 *
 * @example
 * npm run bench -- transports
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Writable } = require('node:stream');
const { measure, report } = require('./lib/harness');
const core = require('../packages/core/dist/index.js');
const { ConsoleTransport } = require('../packages/transport-console/dist/index.js');
const { FileTransport, LineAppender } = require('../packages/transport-file/dist/index.js');

const dir = mkdtempSync(join(tmpdir(), 'agentsudo-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// A sink that accepts and discards: measures our formatting and winston, not the terminal.
const discard = () => new Writable({ write: (_chunk, _enc, done) => done() });

const agent = new core.Agent({ name: 'BenchBot', scopes: ['read:customers'] });
const guarded = core.sudo('read:customers', (id) => id, { name: 'getCustomer' });
const denied = core.createEvent({
  agentName: 'BenchBot',
  action: 'permission_check',
  allowed: false,
  scope: 'write:refunds',
  functionName: 'processRefund',
});
const fast = { ms: 1000, batch: 10000 };
const io = { ms: 1000, batch: 500, warmup: 100 };

const rows = [];
agent.startSession(() => {
  core.configure({ transports: [] });
  rows.push(measure('allowed check, no transport (baseline)', () => guarded('c-1'), fast));

  core.configure({ transports: [new ConsoleTransport({ stream: discard() })] });
  rows.push(measure("allowed check, console at 'warn' (no event built)", () => guarded('c-1'), fast));

  core.configure({ transports: [new ConsoleTransport({ stream: discard(), level: 'debug' })] });
  rows.push(measure("allowed check, console at 'debug' (event built + printed)", () => guarded('c-1'), io));

  const consoleWarn = new ConsoleTransport({ stream: discard() });
  rows.push(measure('console log(denied event), pretty', () => consoleWarn.log(denied), io));
  const consoleJson = new ConsoleTransport({ stream: discard(), format: 'json' });
  rows.push(measure('console log(denied event), json', () => consoleJson.log(denied), io));

  const appender = new LineAppender(join(dir, 'raw.jsonl'));
  const line = JSON.stringify(core.toWire(denied));
  rows.push(measure('raw synchronous O_APPEND line (no winston)', () => appender.append(line), io));

  const file = new FileTransport({ filename: join(dir, 'audit.jsonl') });
  rows.push(measure('file log(event): winston + one write per line', () => file.log(denied), io));

  const rotating = new FileTransport({
    filename: join(dir, 'rotating.jsonl'),
    maxSize: 10 * 1024 * 1024,
    maxFiles: 3,
  });
  rows.push(measure('file log(event) with rotation at 10 MiB', () => rotating.log(denied), io));

  core.configure({ transports: [file] });
  rows.push(measure('allowed check, file transport (event built + written)', () => guarded('c-1'), io));
  core.configure({ transports: [] });
});

report('transports', rows, {
  note: 'ns per call; console output goes to a discarding stream, files to the OS temp dir',
});
