import {
  Agent,
  ApprovalPendingError,
  PermissionDeniedError,
  PermissionError,
  configure,
  sudo,
  type ApprovalContext,
  type ApprovalVerdict,
  type Approver,
} from '@agentsudo/core';
import { captureEvents } from './helpers';

const bot = new Agent({ name: 'Bot', scopes: [] });
const onlyChecks = (action: string) => action !== 'session_start' && action !== 'session_end';

afterEach(() => configure({ transports: [] }));

/** A guarded refund (sync or async) whose runs are counted, approved by `approver`. */
function refundWith(approver: Approver, kind: 'sync' | 'async' = 'sync') {
  const ran: string[] = [];
  const body =
    kind === 'async'
      ? async (orderId: string) => (ran.push(orderId), 'refunded')
      : (orderId: string) => (ran.push(orderId), 'refunded');
  return { ran, refund: sudo('write:refunds', body, { onDeny: approver, name: 'refund' }) };
}

describe('an approver that answers with a verdict object', () => {
  it('{ approved: true } runs the call and records approval_granted', () => {
    const events = captureEvents(onlyChecks);
    const { ran, refund } = refundWith(() => ({ approved: true, approvalId: 'a1', decidedBy: 'ana' }));
    expect(bot.startSession(() => refund('o-1'))).toBe('refunded');
    expect(ran).toEqual(['o-1']);
    expect(events.actions()).toEqual(['approval_granted:true']);
  });

  it('a silent approval runs the call and records nothing: the approver already did', async () => {
    const events = captureEvents(onlyChecks);
    const { ran, refund } = refundWith(async () => ({ approved: true, approvalId: 'a2', silent: true }));
    await expect(bot.startSession(() => refund('o-2'))).resolves.toBe('refunded');
    expect(ran).toEqual(['o-2']);
    expect(events.actions()).toEqual([]);
  });

  it('a silent refusal throws PermissionDeniedError with the verdict cause, and records nothing', async () => {
    const events = captureEvents(onlyChecks);
    const cause = new Error('nobody answered within 2 minutes');
    const verdict: ApprovalVerdict = { approved: false, silent: true, cause };
    const { ran, refund } = refundWith(async () => verdict, 'async');
    const err = await (bot.startSession(() => refund('o-3')) as Promise<string>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err).toMatchObject({ byApprover: true, cause });
    expect(ran).toEqual([]);
    expect(events.actions()).toEqual([]);
  });

  it('{ approved: false } refuses and records approval_denied; anything but approved === true refuses', () => {
    const events = captureEvents(onlyChecks);
    const { ran, refund } = refundWith(() => ({ approved: 'yes' }) as unknown as ApprovalVerdict);
    expect(() => bot.startSession(() => refund('o-4'))).toThrow(PermissionDeniedError);
    expect(ran).toEqual([]);
    expect(events.actions()).toEqual(['approval_denied:false']);
  });
});

describe('an approver that throws ApprovalPendingError', () => {
  const pending = (ctx: ApprovalContext) =>
    new ApprovalPendingError({
      agentName: ctx.agent.name,
      scope: ctx.scope,
      functionName: ctx.functionName,
      approvalId: 'Zk3JtR0w8b1QxZ2FmYWtl',
    });

  it('makes a synchronous call throw it as is, with no denial event', () => {
    const events = captureEvents(onlyChecks);
    const { ran, refund } = refundWith((ctx) => {
      throw pending(ctx);
    });
    const err = (() => {
      try {
        bot.startSession(() => refund('o-5'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApprovalPendingError);
    expect(err).toBeInstanceOf(PermissionError);
    expect(err).toMatchObject({
      approvalId: 'Zk3JtR0w8b1QxZ2FmYWtl',
      scope: 'write:refunds',
      functionName: 'refund',
    });
    expect((err as Error).message).toContain('make the same call again with the same arguments');
    expect(ran).toEqual([]);
    expect(events.actions()).toEqual([]);
  });

  it('makes an async call reject with it as is', async () => {
    const events = captureEvents(onlyChecks);
    const { refund } = refundWith(async (ctx) => {
      throw pending(ctx);
    }, 'async');
    await expect(bot.startSession(() => refund('o-6'))).rejects.toBeInstanceOf(ApprovalPendingError);
    expect(events.actions()).toEqual([]);
  });
});

describe('the approver context', () => {
  it('says whether the protected function is declared async', async () => {
    const seen: boolean[] = [];
    const record: Approver = (ctx) => (seen.push(ctx.isAsync), true);
    const sync = refundWith(record, 'sync');
    const asyncOne = refundWith(record, 'async');
    bot.startSession(() => sync.refund('o-7'));
    await bot.startSession(() => asyncOne.refund('o-8'));
    expect(seen).toEqual([false, true]);
  });
});
