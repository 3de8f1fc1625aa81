import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, PermissionError, Sudo } from '@agentsudo/core';
import { configureCloud, flushCloud, shutdownCloud } from '@agentsudo/transport-cloud';
import { tempDir, useReceiver } from './helpers';
import type { Receiver } from './receiver';

const SECRET_ARG = 'card-4111-1111-1111-1111';
const SECRET_RESULT = 'ssn-078-05-1120';

class PaymentService {
  @Sudo('read:payments')
  lookUp(card: string): string {
    return `${SECRET_RESULT} for ${card}`;
  }

  @Sudo('write:refunds')
  refund(card: string): string {
    return `refunded ${card}`;
  }

  @Sudo('write:notes', { onDeny: 'log' })
  note(text: string): string {
    return text;
  }
}

const bot = new Agent({ name: 'PayBot', scopes: ['read:payments'], metadata: { team: 'billing' } });
const service = new PaymentService();

/** Allowed, denied and audited calls, each given the secret and returning it. */
function doSecretWork(): string[] {
  const seen: string[] = [];
  bot.startSession(() => {
    seen.push(service.lookUp(SECRET_ARG));
    try {
      service.refund(SECRET_ARG);
    } catch (e) {
      if (!(e instanceof PermissionError)) throw e;
      seen.push(e.message);
    }
    seen.push(service.note(SECRET_ARG));
  });
  return seen;
}

describe('privacy: only permission metadata leaves the process', () => {
  let receiver!: Receiver;
  useReceiver((r) => (receiver = r), { resetCloud: true });

  it('no byte sent to the dashboard holds a call argument or return value', async () => {
    configureCloud({
      apiKey: 'as_priv_000000001',
      endpoint: receiver.url,
      gzipThresholdBytes: 0,
      spoolDir: tempDir(),
    });
    const results = doSecretWork();
    expect(results[0]).toContain(SECRET_RESULT); // the calls really carried the secrets
    expect(await flushCloud(5000)).toBe(true);

    const wire = receiver.requests
      .map((r) => r.text + JSON.stringify(r.headers) + r.raw.toString('latin1'))
      .join('');
    expect(receiver.stored.length).toBe(5);
    expect(wire).not.toContain(SECRET_ARG);
    expect(wire).not.toContain(SECRET_RESULT);
    expect(wire).not.toContain('4111');
    // What does leave: who, what, when, and why a call was refused (a reason name, never
    // call data; approval events also carry the approval's id and who decided).
    const allowedKeys = [
      'event_id',
      'timestamp',
      'agent_id',
      'agent_name',
      'session_id',
      'action',
      'scope',
      'allowed',
      'function_name',
      'metadata',
      'sdk',
      'reason',
      'approval_id',
      'decided_by',
    ];
    for (const e of receiver.stored) expect(allowedKeys).toEqual(expect.arrayContaining(Object.keys(e)));
    expect(receiver.stored.map((e) => `${e.action}:${e.allowed}:${e.function_name ?? '-'}`)).toEqual([
      'session_start:true:-',
      'permission_check:true:PaymentService.lookUp',
      'permission_check:false:PaymentService.refund',
      'audit_violation:false:PaymentService.note',
      'session_end:true:-',
    ]);
    expect(receiver.stored[1].metadata).toEqual({ team: 'billing' });
  });

  it('nothing written to the spool holds them either', async () => {
    const spool = tempDir();
    await receiver.stop();
    configureCloud({ apiKey: 'as_priv_000000001', endpoint: receiver.url, spoolDir: spool });
    doSecretWork();
    await shutdownCloud(100);
    const files = readdirSync(spool).filter((f) => f.endsWith('.jsonl'));
    const text = files.map((f) => readFileSync(join(spool, f), 'utf8')).join('');
    // Each file: its seal line (an HMAC, which reveals nothing), then one line per event.
    const lines = text.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('#agentsudo-spool 1 '))).toHaveLength(files.length);
    expect(lines.filter((l) => l.startsWith('{'))).toHaveLength(5);
    expect(text).not.toContain(SECRET_ARG);
    expect(text).not.toContain(SECRET_RESULT);
    expect(text).not.toContain('as_priv_000000001'); // nor the API key
  });
});
