import { Agent, PermissionDeniedError, Sudo, configure, type ApprovalContext } from '@agentsudo/core';
import { captureEvents } from './helpers';

const approvals: ApprovalContext[] = [];

class Payments {
  ran: string[] = [];

  @Sudo('write:refunds', { onDeny: 'log' })
  auditedRefund(orderId: string) {
    this.ran.push(orderId);
    return 'refunded';
  }

  @Sudo('write:refunds', {
    onDeny: (ctx) => {
      approvals.push(ctx);
      return (ctx.args[1] as number) < 100;
    },
  })
  approvedRefund(orderId: string, amount: number) {
    this.ran.push(orderId);
    return `refunded ${amount}`;
  }

  @Sudo('write:refunds', {
    onDeny: async (ctx) => {
      await new Promise((r) => setTimeout(r, 1));
      return ctx.agent.name === 'Trusted';
    },
  })
  slowApproval(orderId: string) {
    this.ran.push(orderId);
    return 'refunded';
  }

  @Sudo('write:refunds', {
    onDeny: () => {
      throw new Error('approver down');
    },
  })
  brokenApprover(orderId: string) {
    this.ran.push(orderId);
    return 'refunded';
  }
}

const bot = new Agent({ name: 'Bot', scopes: ['read:*'] });
const trusted = new Agent({ name: 'Trusted', scopes: [] });

beforeEach(() => (approvals.length = 0));
afterEach(() => configure({ transports: [] }));

describe("onDeny: 'log' (audit mode)", () => {
  it('runs the call and records an audit_violation event', () => {
    const events = captureEvents((action) => action !== 'session_start' && action !== 'session_end');
    const p = new Payments();
    expect(bot.startSession(() => p.auditedRefund('o-1'))).toBe('refunded');
    expect(p.ran).toEqual(['o-1']);
    expect(events.events).toHaveLength(1);
    expect(events.events[0]).toMatchObject({
      action: 'audit_violation',
      allowed: false,
      agentName: 'Bot',
      scope: 'write:refunds',
      functionName: 'Payments.auditedRefund',
    });
  });
});

describe('onDeny: an approver function', () => {
  it('runs the call when the approver says yes, with an approval_granted event', () => {
    const events = captureEvents((action) => action.startsWith('approval'));
    const p = new Payments();
    expect(bot.startSession(() => p.approvedRefund('o-1', 50))).toBe('refunded 50');
    expect(events.actions()).toEqual(['approval_granted:true']);
  });

  it('gives the approver the agent, scope, function name and arguments; the event never holds arguments', () => {
    const events = captureEvents();
    const p = new Payments();
    bot.startSession(() => p.approvedRefund('secret-order', 50));
    expect(approvals[0]).toMatchObject({ scope: 'write:refunds', functionName: 'Payments.approvedRefund' });
    expect(approvals[0].agent).toBe(bot);
    expect(approvals[0].args).toEqual(['secret-order', 50]);
    expect(JSON.stringify(events.events)).not.toContain('secret-order');
  });

  it('throws PermissionDeniedError with approval_denied when the approver says no', () => {
    const events = captureEvents((action) => action.startsWith('approval'));
    const p = new Payments();
    let caught: unknown;
    try {
      bot.startSession(() => p.approvedRefund('o-2', 500));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PermissionDeniedError);
    expect((caught as PermissionDeniedError).byApprover).toBe(true);
    expect((caught as PermissionDeniedError).message).toMatch(
      /lacks scope 'write:refunds' .*approver refused the call\. It has: read:\*\. Grant 'write:refunds'/,
    );
    expect(p.ran).toEqual([]);
    expect(events.actions()).toEqual(['approval_denied:false']);
  });

  it('makes a sync method return a Promise when the approver is async', async () => {
    const p = new Payments();
    const result = trusted.startSession(() => p.slowApproval('o-3'));
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe('refunded');
    await expect(bot.startSession(() => p.slowApproval('o-4'))).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(p.ran).toEqual(['o-3']);
  });

  it('fails closed when the approver throws, keeping the approver error as the cause', () => {
    const p = new Payments();
    let caught: unknown;
    try {
      bot.startSession(() => p.brokenApprover('o-5'));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PermissionDeniedError);
    expect(((caught as Error).cause as Error).message).toBe('approver down');
    expect(p.ran).toEqual([]);
  });

  it('does not consult the approver when the agent has the scope', () => {
    const p = new Payments();
    const refunder = new Agent({ name: 'Refunder', scopes: ['write:refunds'] });
    expect(refunder.startSession(() => p.approvedRefund('o-6', 1000))).toBe('refunded 1000');
    expect(approvals).toEqual([]);
  });
});
