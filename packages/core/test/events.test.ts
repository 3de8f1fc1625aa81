import {
  Agent,
  DENIAL_REASONS,
  MAX_APPROVAL_FIELD_LENGTH,
  Sudo,
  WireFormatError,
  configure,
  fromWire,
  newEventId,
  toWire,
  type SudoEvent,
} from '@agentsudo/core';
import { captureEvents } from './helpers';

class Vault {
  @Sudo('read:secrets')
  open(secretArg: string) {
    return `secret-return-${secretArg}`;
  }

  @Sudo('write:secrets')
  fail() {
    throw new Error('secret-error-text');
  }
}

afterEach(() => configure({ transports: [] }));

describe('events', () => {
  it('describe a check with who, what and when', () => {
    const events = captureEvents((a) => a === 'permission_check');
    const bot = new Agent({
      name: 'SupportBot',
      scopes: ['read:secrets'],
      role: 'support',
      metadata: { team: 'cx' },
    });
    const before = Date.now();
    bot.startSession((session) => {
      new Vault().open('x');
      const [e] = events.events;
      expect(e).toMatchObject({
        agentId: bot.id,
        agentName: 'SupportBot',
        role: 'support',
        sessionId: session.id,
        action: 'permission_check',
        scope: 'read:secrets',
        allowed: true,
        functionName: 'Vault.open',
        metadata: { team: 'cx' },
        sdk: 'agentsudo-js/0.1.0',
      });
      expect(e.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Date.parse(e.timestamp)).toBeGreaterThanOrEqual(before - 1);
      expect(e.timestamp).toMatch(/Z$/);
    });
  });

  it('never carry arguments, return values or thrown errors of the user function', () => {
    const events = captureEvents();
    const bot = new Agent({ name: 'Bot', scopes: ['read:secrets', 'write:secrets'] });
    bot.startSession(() => {
      new Vault().open('secret-argument');
      expect(() => new Vault().fail()).toThrow('secret-error-text');
    });
    const text = JSON.stringify(events.events.map(toWire));
    expect(events.events.length).toBeGreaterThan(2);
    expect(text).not.toContain('secret-argument');
    expect(text).not.toContain('secret-return');
    expect(text).not.toContain('secret-error-text');
  });
});

describe('event ids', () => {
  it('are UUID version 7: unique, with the creation time in their first 48 bits', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const ids = Array.from({ length: 5000 }, () => newEventId(now));
    expect(new Set(ids).size).toBe(5000);
    for (const id of ids.slice(0, 50)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
    }
  });

  it('sort by time, so later events index after earlier ones', () => {
    const earlier = newEventId(1_780_000_000_000);
    const later = newEventId(1_780_000_000_001);
    expect(earlier < later).toBe(true);
  });
});

describe('wire form', () => {
  const event: SudoEvent = {
    eventId: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
    timestamp: '2026-01-01T00:00:00.000Z',
    agentId: 'a-1',
    agentName: 'SupportBot',
    sessionId: 's-1',
    action: 'permission_check',
    scope: 'read:customers',
    allowed: true,
    functionName: 'get_customer',
    metadata: { team: 'cx' },
    sdk: 'agentsudo-js/0.1.0',
  };

  it('is snake_case with null keys left out, and round-trips', () => {
    const wire = toWire(event);
    expect(wire).toEqual({
      event_id: event.eventId,
      timestamp: '2026-01-01T00:00:00.000Z',
      agent_id: 'a-1',
      agent_name: 'SupportBot',
      session_id: 's-1',
      action: 'permission_check',
      scope: 'read:customers',
      allowed: true,
      function_name: 'get_customer',
      metadata: { team: 'cx' },
      sdk: 'agentsudo-js/0.1.0',
    });
    expect('role' in wire).toBe(false);
    expect(fromWire(JSON.parse(JSON.stringify(wire)))).toEqual(event);
  });

  it("reads the original Python SDK's events: no event_id, microseconds, its action names", () => {
    const python = {
      timestamp: '2026-11-26T12:53:24.156322Z',
      agent_name: 'SupportBot',
      action: 'permission_denied',
      scope: 'write:refunds',
      allowed: false,
      function_name: 'process_refund',
      metadata: {},
    };
    const e = fromWire(python);
    expect(e.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.timestamp).toBe('2026-11-26T12:53:24.156Z');
    expect(e.action).toBe('permission_check');
    expect(e.allowed).toBe(false);
    expect(fromWire({ ...python, action: 'callback_approved', allowed: true }).action).toBe(
      'approval_granted',
    );
    expect(fromWire({ ...python, action: 'callback_denied' }).action).toBe('approval_denied');
    expect(fromWire({ ...python, action: 'audit_violation' }).action).toBe('audit_violation');
  });

  it('reads a timestamp without a zone as UTC', () => {
    expect(fromWire({ ...toWire(event), timestamp: '2026-11-26T12:53:24.156322' }).timestamp).toBe(
      '2026-11-26T12:53:24.156Z',
    );
  });

  it('carries why a call was refused, and the approval and who decided it', () => {
    const decided: SudoEvent = {
      ...event,
      action: 'approval_denied',
      allowed: false,
      reason: 'approval',
      approvalId: 'apr_7Qx2',
      decidedBy: 'ops@example.com',
    };
    const wire = toWire(decided);
    expect(wire).toMatchObject({
      reason: 'approval',
      approval_id: 'apr_7Qx2',
      decided_by: 'ops@example.com',
    });
    expect(fromWire(JSON.parse(JSON.stringify(wire)))).toEqual(decided);
    for (const reason of DENIAL_REASONS)
      expect(fromWire({ ...toWire(event), allowed: false, reason }).reason).toBe(reason);
    for (const action of ['approval_requested', 'approval_expired'] as const)
      expect(fromWire({ ...toWire(event), action, approval_id: 'apr_1' })).toMatchObject({
        action,
        approvalId: 'apr_1',
      });
  });

  it('leaves the new fields out of events that have none, as older SDKs and the Python SDK send them', () => {
    const wire = toWire(event);
    expect('reason' in wire || 'approval_id' in wire || 'decided_by' in wire).toBe(false);
    const python = fromWire({
      timestamp: '2026-11-26T12:53:24.156322Z',
      agent_name: 'SupportBot',
      action: 'permission_denied',
      scope: 'write:refunds',
      allowed: false,
    });
    expect('reason' in python || 'approvalId' in python || 'decidedBy' in python).toBe(false);
    expect(fromWire({ ...toWire(event), reason: null, approval_id: null }).reason).toBeUndefined();
  });

  it.each([
    ['quota', 'reason'],
    ['Scope', 'reason'],
    [5, 'reason'],
  ])('refuses a reason that is not a denial reason, listing the allowed ones (%p)', (reason, field) => {
    let caught: unknown;
    try {
      fromWire({ ...toWire(event), allowed: false, reason });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WireFormatError);
    expect((caught as WireFormatError).field).toBe(field);
    expect((caught as Error).message).toContain(JSON.stringify(reason));
    expect((caught as Error).message).toContain(DENIAL_REASONS.join(', '));
  });

  it.each([
    ['approval_id', ''],
    ['approval_id', 'a'.repeat(MAX_APPROVAL_FIELD_LENGTH + 1)],
    ['approval_id', 42],
    ['decided_by', ''],
    ['decided_by', 'u'.repeat(MAX_APPROVAL_FIELD_LENGTH + 1)],
  ])('refuses %s that is empty, too long or not a string', (field, value) => {
    let caught: unknown;
    try {
      fromWire({ ...toWire(event), [field]: value });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WireFormatError);
    expect((caught as WireFormatError).field).toBe(field);
    expect((caught as Error).message).toContain(field);
  });

  it.each([
    [null, '(event)'],
    [[], '(event)'],
    [{ ...toWire(event), agent_name: '' }, 'agent_name'],
    [{ ...toWire(event), action: 'launch_missiles' }, 'action'],
    [{ ...toWire(event), allowed: 'yes' }, 'allowed'],
    [{ ...toWire(event), timestamp: 'yesterday' }, 'timestamp'],
    [{ ...toWire(event), scope: 5 }, 'scope'],
    [{ ...toWire(event), metadata: [1] }, 'metadata'],
  ])('rejects bad input naming the field (%#)', (input, field) => {
    let caught: unknown;
    try {
      fromWire(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WireFormatError);
    expect((caught as WireFormatError).field).toBe(field);
    expect((caught as Error).message).toContain(field);
  });
});
