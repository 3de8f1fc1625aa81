import {
  Agent,
  PermissionDeniedError,
  Sudo,
  configure,
  type ApprovalContext,
  type Guard,
  type GuardFinding,
} from '@agentsudo/core';
import { captureEvents } from './helpers';

const checksOnly = (action: string) => action !== 'session_start' && action !== 'session_end';

function caught(fn: () => unknown): PermissionDeniedError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PermissionDeniedError) return e;
    throw e;
  }
  throw new Error('expected a PermissionDeniedError');
}

const refuseSql: Guard = {
  name: 'no_sql',
  inspect: (args) =>
    JSON.stringify(args).includes('DROP TABLE')
      ? { action: 'refuse', rule: 'no_sql.drop', message: 'an argument holds DROP TABLE.' }
      : undefined,
};
const flagEmails: Guard = {
  name: 'pii',
  inspect: (args) =>
    args.some((a) => typeof a === 'string' && a.includes('@'))
      ? { action: 'flag', rule: 'pii.email', message: 'args[0] holds an email address.' }
      : undefined,
};
const slowGuard = (finding: GuardFinding | undefined): Guard => ({
  name: 'local_model',
  inspect: async () => {
    await new Promise((r) => setTimeout(r, 1));
    return finding;
  },
});
const brokenGuard: Guard = {
  name: 'broken',
  inspect: () => {
    throw new Error('model file missing');
  },
};

const asked: ApprovalContext[] = [];

class Payments {
  ran: string[] = [];

  @Sudo('write:refunds')
  refund(orderId: string) {
    this.ran.push(orderId);
    return 'refunded';
  }

  @Sudo('write:refunds', { when: ({ args }) => (args[1] as number) <= 100 })
  smallRefund(orderId: string, amount: number) {
    this.ran.push(orderId);
    return `refunded ${amount}`;
  }

  @Sudo('write:refunds', { when: ({ args }) => (args[1] as number) <= 100 })
  async smallRefundAsync(orderId: string, amount: number) {
    this.ran.push(orderId);
    return `refunded ${amount}`;
  }

  @Sudo('write:refunds', {
    when: ({ args }) => (args[1] as number) <= 100,
    onDeny: (ctx) => {
      asked.push(ctx);
      return ctx.agent.name === 'Manager';
    },
  })
  refundOrAsk(orderId: string, amount: number) {
    this.ran.push(orderId);
    return `refunded ${amount}`;
  }

  @Sudo('write:refunds', { when: ({ args }) => (args[1] as number) <= 100, onDeny: 'log' })
  refundAudited(orderId: string, amount: number) {
    this.ran.push(orderId);
    return `refunded ${amount}`;
  }

  @Sudo('write:refunds', {
    when: () => {
      throw new Error('rates unavailable');
    },
    onDeny: 'log',
  })
  refundUndecided(orderId: string) {
    this.ran.push(orderId);
    return 'refunded';
  }

  @Sudo('write:notes', { guards: [flagEmails, refuseSql] })
  note(text: string) {
    this.ran.push(text);
    return 'noted';
  }

  @Sudo('write:notes', { guards: [slowGuard(undefined), refuseSql] })
  noteChecked(text: string) {
    this.ran.push(text);
    return 'noted';
  }

  @Sudo('write:notes', { guards: [brokenGuard] })
  noteBroken(text: string) {
    this.ran.push(text);
    return 'noted';
  }

  @Sudo('write:notes', {
    guards: [
      slowGuard({ action: 'refuse', rule: 'local_model.hostile', message: 'args[0] reads as hostile.' }),
    ],
  })
  async noteModel(text: string) {
    this.ran.push(text);
    return 'noted';
  }
}

const clerk = new Agent({
  name: 'Clerk',
  scopes: ['write:refunds', 'write:notes'],
  metadata: { team: 'cx' },
});
const reader = new Agent({ name: 'Reader', scopes: ['read:*'] });
const manager = new Agent({ name: 'Manager', scopes: ['write:refunds'] });

beforeEach(() => (asked.length = 0));
afterEach(() => configure({ transports: [] }));

describe('every refusal says why', () => {
  it("a missing scope is reason 'scope', on the error and on the event", () => {
    const events = captureEvents(checksOnly);
    const p = new Payments();
    const err = caught(() => reader.startSession(() => p.refund('o-1')));
    expect(err.reason).toBe('scope');
    expect(err.byApprover).toBe(false);
    expect(events.events).toMatchObject([{ action: 'permission_check', allowed: false, reason: 'scope' }]);
  });

  it('an allowed call carries no reason', () => {
    const events = captureEvents(checksOnly);
    clerk.startSession(() => new Payments().refund('o-1'));
    expect(events.events).toHaveLength(1);
    expect(events.events[0].reason).toBeUndefined();
  });
});

describe('when: a condition on the call', () => {
  it("runs the call when it holds, and refuses with reason 'condition' when it does not", () => {
    const events = captureEvents(checksOnly);
    const p = new Payments();
    expect(clerk.startSession(() => p.smallRefund('o-1', 80))).toBe('refunded 80');
    const err = caught(() => clerk.startSession(() => p.smallRefund('o-2', 120)));
    expect(err.reason).toBe('condition');
    expect(err.message).toMatch(
      /Agent 'Clerk' may use 'write:refunds', but the condition \(when\) of Payments.smallRefund refused this call/,
    );
    expect(p.ran).toEqual(['o-1']);
    expect(events.events.map((e) => [e.action, e.allowed, e.reason])).toEqual([
      ['permission_check', true, undefined],
      ['permission_check', false, 'condition'],
    ]);
    expect(JSON.stringify(events.events)).not.toContain('120');
  });

  it('rejects (never throws) from an async method', async () => {
    const p = new Payments();
    const result = clerk.startSession(() => p.smallRefundAsync('o-3', 500));
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toMatchObject({ reason: 'condition' });
  });

  it('runs only for an agent that has the scope: a missing scope is reported first', () => {
    const err = caught(() => reader.startSession(() => new Payments().smallRefund('o-4', 1)));
    expect(err.reason).toBe('scope');
  });

  it('sends a failed condition to the approver, who sees why; refunds over 100 need a person', () => {
    const events = captureEvents((action) => action.startsWith('approval'));
    const p = new Payments();
    expect(clerk.startSession(() => p.refundOrAsk('o-5', 50))).toBe('refunded 50');
    expect(asked).toHaveLength(0);
    const err = caught(() => clerk.startSession(() => p.refundOrAsk('o-6', 500)));
    expect(err.reason).toBe('approval');
    expect(err.byApprover).toBe(true);
    expect(err.message).toMatch(
      /condition \(when\) of Payments.refundOrAsk refused this call, and the approver refused it too/,
    );
    expect(asked[0]).toMatchObject({ reason: 'condition', scope: 'write:refunds', args: ['o-6', 500] });
    expect(manager.startSession(() => p.refundOrAsk('o-7', 500))).toBe('refunded 500');
    expect(p.ran).toEqual(['o-5', 'o-7']);
    expect(events.events.map((e) => [e.action, e.reason])).toEqual([
      ['approval_denied', 'approval'],
      ['approval_granted', undefined],
    ]);
  });

  it("with onDeny 'log' a failed condition is audited and the call runs", () => {
    const events = captureEvents(checksOnly);
    const p = new Payments();
    expect(clerk.startSession(() => p.refundAudited('o-8', 900))).toBe('refunded 900');
    expect(events.events).toMatchObject([{ action: 'audit_violation', allowed: false, reason: 'condition' }]);
  });

  it('a condition that throws refuses, even in audit mode, keeping its error as the cause', () => {
    const events = captureEvents(checksOnly);
    const p = new Payments();
    const err = caught(() => clerk.startSession(() => p.refundUndecided('o-9')));
    expect(err.reason).toBe('condition');
    expect(err.message).toMatch(/could not decide \(Error: rates unavailable\)/);
    expect((err.cause as Error).message).toBe('rates unavailable');
    expect(p.ran).toEqual([]);
    expect(events.events).toMatchObject([
      { action: 'permission_check', allowed: false, reason: 'condition' },
    ]);
  });
});

describe('guards on the arguments', () => {
  it("the first 'refuse' finding refuses with reason 'guardrail', naming the guard and rule, never the argument", () => {
    const events = captureEvents(checksOnly);
    const p = new Payments();
    const err = caught(() => clerk.startSession(() => p.note("x'; DROP TABLE users; --")));
    expect(err).toMatchObject({ reason: 'guardrail', guard: 'no_sql', rule: 'no_sql.drop' });
    expect(err.message).toMatch(
      /Guard 'no_sql' refused the arguments of Payments.note \(scope 'write:notes'\), rule no_sql.drop: an argument holds DROP TABLE\./,
    );
    expect(err.message).not.toContain('users');
    expect(p.ran).toEqual([]);
    expect(events.events).toMatchObject([
      {
        action: 'permission_check',
        allowed: false,
        reason: 'guardrail',
        metadata: { team: 'cx', guardrail: { guard: 'no_sql', rule: 'no_sql.drop' } },
      },
    ]);
    expect(JSON.stringify(events.events)).not.toContain('DROP');
  });

  it("'flag' findings let the call run and are recorded on its event as guard and rule only", () => {
    const events = captureEvents(checksOnly);
    const p = new Payments();
    expect(clerk.startSession(() => p.note('mail me at jane@example.com'))).toBe('noted');
    expect(events.events).toHaveLength(1);
    expect(events.events[0]).toMatchObject({ action: 'permission_check', allowed: true });
    expect(events.events[0].metadata).toEqual({
      team: 'cx',
      guard_flags: [{ guard: 'pii', rule: 'pii.email' }],
    });
    expect(JSON.stringify(events.events)).not.toContain('jane');
  });

  it('an async guard makes a sync method return a Promise; the guards after it still run', async () => {
    const p = new Payments();
    const fine = clerk.startSession(() => p.noteChecked('hello'));
    expect(fine).toBeInstanceOf(Promise);
    await expect(fine).resolves.toBe('noted');
    await expect(clerk.startSession(() => p.noteChecked('DROP TABLE x'))).rejects.toMatchObject({
      reason: 'guardrail',
      rule: 'no_sql.drop',
    });
    await expect(clerk.startSession(() => p.noteModel('hi'))).rejects.toMatchObject({
      reason: 'guardrail',
      guard: 'local_model',
      rule: 'local_model.hostile',
    });
    expect(p.ran).toEqual(['hello']);
  });

  it('a guard that throws refuses, with its error as the cause', () => {
    const p = new Payments();
    const err = caught(() => clerk.startSession(() => p.noteBroken('hi')));
    expect(err).toMatchObject({ reason: 'guardrail', guard: 'broken', rule: 'broken.error' });
    expect(err.message).toMatch(
      /could not inspect the arguments of Payments.noteBroken \(scope 'write:notes'\): Error: model file missing\. The call was refused/,
    );
    expect((err.cause as Error).message).toBe('model file missing');
    expect(p.ran).toEqual([]);
  });

  it('guards run after the scope: an agent without it is refused for the scope', () => {
    const err = caught(() => reader.startSession(() => new Payments().note('DROP TABLE x')));
    expect(err.reason).toBe('scope');
  });
});
