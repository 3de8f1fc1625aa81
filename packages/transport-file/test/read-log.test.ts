import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, createEvent, toWire, type SudoEvent } from '@agentsudo/core';
import {
  AuditLogFormatError,
  AuditLogPathError,
  FileTransport,
  readAuditLog,
} from '@agentsudo/transport-file';
import { tempDir } from './temp-dir';

const dir = tempDir();
const file = join(dir, 'audit.jsonl');

const at = (timestamp: string, fields: Partial<SudoEvent>): SudoEvent => ({
  ...createEvent({ agentName: 'SupportBot', action: 'permission_check', allowed: true, ...fields }),
  timestamp,
});

beforeAll(async () => {
  const log = new FileTransport({ filename: file });
  log.log(at('2026-03-01T09:00:00.000Z', { scope: 'read:customers' }));
  log.log(at('2026-03-01T10:00:00.000Z', { scope: 'write:refunds', allowed: false }));
  log.log(at('2026-03-02T09:00:00.000Z', { agentName: 'BillingBot', scope: 'write:invoices' }));
  log.log(
    at('2026-03-03T09:00:00.000Z', { scope: 'delete:customers', action: 'audit_violation', allowed: false }),
  );
  await log.close();
});

const scopes = (events: SudoEvent[]) => events.map((e) => e.scope);

describe('readAuditLog', () => {
  test('returns every event in file order', async () => {
    expect(scopes(await readAuditLog(file))).toEqual([
      'read:customers',
      'write:refunds',
      'write:invoices',
      'delete:customers',
    ]);
  });

  test('filters by agent, scope pattern, refusals, time and action', async () => {
    expect(scopes(await readAuditLog(file, { agent: 'BillingBot' }))).toEqual(['write:invoices']);
    expect(scopes(await readAuditLog(file, { scope: 'write:*' }))).toEqual([
      'write:refunds',
      'write:invoices',
    ]);
    expect(scopes(await readAuditLog(file, { denied: true }))).toEqual(['write:refunds', 'delete:customers']);
    expect(scopes(await readAuditLog(file, { denied: false }))).toEqual(['read:customers', 'write:invoices']);
    expect(scopes(await readAuditLog(file, { since: '2026-03-02' }))).toEqual([
      'write:invoices',
      'delete:customers',
    ]);
    expect(scopes(await readAuditLog(file, { until: new Date('2026-03-01T10:00:00Z') }))).toEqual([
      'read:customers',
    ]);
    expect(scopes(await readAuditLog(file, { action: 'audit_violation' }))).toEqual(['delete:customers']);
    expect(scopes(await readAuditLog(file, { agent: 'SupportBot', scope: 'write:*', denied: true }))).toEqual(
      ['write:refunds'],
    );
  });

  test('reads lines written by the original Python SDK', async () => {
    const python = join(dir, 'python.jsonl');
    writeFileSync(
      python,
      JSON.stringify({
        timestamp: '2026-11-26T12:53:24.156322',
        agent_name: 'SupportBot',
        action: 'permission_denied',
        scope: 'write:refunds',
        allowed: false,
        function_name: 'process_refund',
      }) + '\n',
    );
    const [event] = await readAuditLog(python, { denied: true });
    expect(event).toMatchObject({
      action: 'permission_check',
      allowed: false,
      timestamp: '2026-11-26T12:53:24.156Z',
      functionName: 'process_refund',
    });
  });

  test('a line that is not an event fails with its file and line number, or is skipped on request', async () => {
    const mixed = join(dir, 'mixed.jsonl');
    const good = JSON.stringify(toWire(at('2026-03-01T09:00:00.000Z', { scope: 'read:orders' })));
    writeFileSync(mixed, `${good}\nnot json\n${good}\n{"agent_name":"x"}\n`);
    await expect(readAuditLog(mixed)).rejects.toThrow(AuditLogFormatError);
    await expect(readAuditLog(mixed)).rejects.toThrow(`${mixed}:2 is not an AgentSudo event`);
    const bad: string[] = [];
    const events = await readAuditLog(mixed, { onInvalidLine: (e) => bad.push(`${e.line}: ${e.reason}`) });
    expect(scopes(events)).toEqual(['read:orders', 'read:orders']);
    expect(bad).toHaveLength(2);
    expect(bad[1]).toBe("4: Invalid event field 'action': expected a non-empty string");
  });

  test('a missing file fails naming the path', async () => {
    const missing = join(dir, 'nope', 'audit.jsonl');
    await expect(readAuditLog(missing)).rejects.toThrow(AuditLogPathError);
    await expect(readAuditLog(missing)).rejects.toThrow(`Cannot read the audit log at '${missing}': ENOENT`);
  });

  test('a bad filter value fails before reading, naming the field', async () => {
    await expect(readAuditLog(file, { since: 'yesterday' })).rejects.toThrow(ConfigurationError);
    await expect(readAuditLog(file, { since: 'yesterday' })).rejects.toThrow(
      /'since': "yesterday" is not a time/,
    );
  });

  test('includeRotated reads the rotated files first, oldest first', async () => {
    const rotating = join(dir, 'rot', 'audit.jsonl');
    mkdirSync(join(dir, 'rot'));
    const log = new FileTransport({ filename: rotating, maxSize: 300, maxFiles: 20 });
    for (let i = 0; i < 12; i++)
      log.log(at(`2026-03-01T09:00:${String(i).padStart(2, '0')}.000Z`, { scope: `s:${i}` }));
    await log.close();
    expect(scopes(await readAuditLog(rotating, { includeRotated: true }))).toEqual(
      Array.from({ length: 12 }, (_, i) => `s:${i}`),
    );
    expect((await readAuditLog(rotating)).length).toBeLessThan(12);
  });
});
