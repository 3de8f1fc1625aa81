import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as core from '@agentsudo/core';
import {
  Agent,
  AuditLogPathError,
  ConsoleTransport,
  FileTransport,
  PermissionError,
  Sudo,
  configure,
  configureConsole,
  configureFileLog,
  getTransports,
  readAuditLog,
} from 'agentsudo';
import { testTempDir } from '../../../test-support/temp-dir';

const dir = testTempDir('agentsudo-pkg-');

class CustomerService {
  @Sudo('read:customers')
  getCustomer(id: string) {
    return { id };
  }

  @Sudo('write:refunds')
  processRefund(orderId: string) {
    return orderId;
  }
}

const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
const service = new CustomerService();
const names = () =>
  getTransports().map((t) => (t instanceof ConsoleTransport ? `console:${t.level}` : (t.name ?? '?')));

describe('the agentsudo package', () => {
  // Runs first: it checks what importing the package did.
  test('importing it installs the console transport at level warn', () => {
    expect(names()).toEqual(['console:warn']);
  });

  test('re-exports the core API as the very same objects', () => {
    expect(Agent).toBe(core.Agent);
    expect(Sudo).toBe(core.Sudo);
    expect(PermissionError).toBe(core.PermissionError);
    expect(configure).toBe(core.configure);
  });

  test('configureFileLog adds the audit log beside the console and returns it', async () => {
    const consoleOut = new PassThrough({ encoding: 'utf8' });
    configureConsole({ stream: consoleOut });
    const file = join(dir, 'logs', 'audit.jsonl');
    const log = configureFileLog({ filename: file });
    expect(log).toBeInstanceOf(FileTransport);
    expect(names()).toEqual(['console:warn', 'file']);
    bot.startSession(() => {
      service.getCustomer('c-1');
      expect(() => service.processRefund('o-1')).toThrow(PermissionError);
    });
    const denied = await readAuditLog(file, { denied: true });
    expect(denied.map((e) => `${e.agentName} ${e.scope} ${e.functionName}`)).toEqual([
      'SupportBot write:refunds CustomerService.processRefund',
    ]);
    expect(String(consoleOut.read())).toContain('❌ denied SupportBot → write:refunds');
  });

  test('configureFileLog again with the same filename replaces that log instead of doubling its lines', () => {
    const file = join(dir, 'logs', 'twice.jsonl');
    configureFileLog({ filename: file });
    configureFileLog({ filename: file, wants: (_action, allowed) => !allowed });
    expect(names()).toEqual(['console:warn', 'file', 'file']); // audit.jsonl and twice.jsonl
    bot.startSession(() => service.getCustomer('c-1'));
    expect(readFileSync(file, 'utf8')).toBe(''); // only the refusals-only log is left on it
  });

  test('configureFileLog fails at once on an unwritable path, naming it', () => {
    const blocked = join(__filename, 'audit.jsonl'); // a path under a file
    expect(() => configureFileLog({ filename: blocked })).toThrow(AuditLogPathError);
    expect(() => configureFileLog({ filename: blocked })).toThrow(blocked);
  });

  test('configureConsole replaces the console options or removes it, leaving the file logs', () => {
    configureConsole({ level: 'debug' });
    expect(names()).toEqual(['file', 'file', 'console:debug']);
    configureConsole(false);
    expect(names()).toEqual(['file', 'file']);
    configure({ transports: [] });
  });
});
