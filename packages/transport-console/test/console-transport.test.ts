import { PassThrough } from 'node:stream';
import { Agent, ConfigurationError, PermissionError, Sudo, configure } from '@agentsudo/core';
import { ConsoleTransport, levelFor } from '@agentsudo/transport-console';
import { colorWanted } from '../src/render';

class CustomerService {
  @Sudo('read:customers')
  getCustomer(id: string) {
    return { id };
  }

  @Sudo('write:refunds')
  processRefund(orderId: string) {
    return orderId;
  }

  @Sudo('delete:customers', { onDeny: 'log' })
  deleteCustomer(id: string) {
    return id;
  }
}

const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
const service = new CustomerService();

/** A real stream standing in for stderr, collecting what the transport prints. */
function capture(): { stream: PassThrough; lines: () => Promise<string[]> } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return {
    stream,
    lines: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return text.split('\n').filter(Boolean);
    },
  };
}

/** One allowed read, one denied refund, one audit-mode delete. */
function runScenario(): void {
  bot.startSession(() => {
    service.getCustomer('c-1');
    expect(() => service.processRefund('o-1')).toThrow(PermissionError);
    service.deleteCustomer('c-2');
  });
}

afterEach(() => configure({ transports: [] }));

describe('ConsoleTransport', () => {
  test('at the default level it prints denials and audit violations, not allowed checks', async () => {
    const out = capture();
    configure({ transports: [new ConsoleTransport({ stream: out.stream })] });
    runScenario();
    const lines = await out.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z agentsudo ❌ denied SupportBot → write:refunds \(CustomerService\.processRefund\)$/,
    );
    expect(lines[1]).toContain('⚠ audit SupportBot → delete:customers (CustomerService.deleteCustomer)');
  });

  test('at the default level it does not want allowed checks, so core builds no event for them', () => {
    const console = new ConsoleTransport();
    expect(console.wants('permission_check', true)).toBe(false);
    expect(console.wants('session_start', true)).toBe(false);
    expect(console.wants('permission_check', false)).toBe(true);
    expect(console.wants('audit_violation', false)).toBe(true);
    expect(console.wants('approval_granted', true)).toBe(true);
  });

  test('with the console at warn, allowed checks build no event at all (nothing is dispatched)', () => {
    configure({ transports: [new ConsoleTransport({ stream: capture().stream })] });
    // Core builds an event only to hand it to its dispatcher: counting dispatches counts events.
    const { dispatcher } = (globalThis as unknown as Record<symbol, { dispatcher: object }>)[
      Symbol.for('agentsudo.core.runtime.v1')
    ];
    bot.startSession(() => {
      const dispatched = jest.spyOn(dispatcher as { dispatch(e: unknown): void }, 'dispatch');
      try {
        for (let i = 0; i < 100; i++) service.getCustomer(`c-${i}`);
        expect(dispatched).not.toHaveBeenCalled();
        expect(() => service.processRefund('o-1')).toThrow(PermissionError);
        expect(dispatched).toHaveBeenCalledTimes(1); // the denial's event, and only it
      } finally {
        dispatched.mockRestore();
      }
    });
  });

  test("level 'debug' shows every allowed check and the session lifecycle", async () => {
    const out = capture();
    configure({ transports: [new ConsoleTransport({ stream: out.stream, level: 'debug' })] });
    runScenario();
    const lines = await out.lines();
    expect(lines.map((l) => l.split(' ').slice(2, 4).join(' '))).toEqual([
      '▶ session',
      '✅ allowed',
      '❌ denied',
      '⚠ audit',
      '■ session',
    ]);
    expect(lines[1]).toContain('SupportBot → read:customers (CustomerService.getCustomer)');
  });

  test("level 'error' keeps only denials", async () => {
    const out = capture();
    configure({ transports: [new ConsoleTransport({ stream: out.stream, level: 'error' })] });
    runScenario();
    const lines = await out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('❌ denied');
  });

  test("format 'json' prints the event's wire form with its level", async () => {
    const out = capture();
    configure({ transports: [new ConsoleTransport({ stream: out.stream, format: 'json' })] });
    runScenario();
    const [denied, audit] = (await out.lines()).map((l) => JSON.parse(l));
    expect(denied).toMatchObject({
      level: 'error',
      agent_name: 'SupportBot',
      action: 'permission_check',
      allowed: false,
      scope: 'write:refunds',
      function_name: 'CustomerService.processRefund',
    });
    expect(denied.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(audit).toMatchObject({ level: 'warn', action: 'audit_violation', allowed: false });
  });

  test('colors the outcome green or red when color is on', async () => {
    const out = capture();
    configure({ transports: [new ConsoleTransport({ stream: out.stream, level: 'debug', color: true })] });
    runScenario();
    const lines = await out.lines();
    expect(lines.find((l) => l.includes('allowed'))).toContain('\x1b[32m✅ allowed\x1b[39m');
    expect(lines.find((l) => l.includes('denied'))).toContain('\x1b[31m❌ denied\x1b[39m');
  });

  test('prints no color codes to a stream that is not a terminal', async () => {
    const out = capture();
    configure({ transports: [new ConsoleTransport({ stream: out.stream, level: 'debug' })] });
    runScenario();
    expect((await out.lines()).join('\n')).not.toContain('\x1b[');
  });

  test('colors a terminal by default, and not when NO_COLOR is set', async () => {
    const run = async (noColor: string | undefined) => {
      const out = capture();
      Object.assign(out.stream, { isTTY: true }); // what a terminal's stream says
      const saved = process.env.NO_COLOR;
      if (noColor === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = noColor;
      try {
        configure({ transports: [new ConsoleTransport({ stream: out.stream })] });
      } finally {
        if (saved === undefined) delete process.env.NO_COLOR;
        else process.env.NO_COLOR = saved;
      }
      runScenario();
      return (await out.lines()).join('\n');
    };
    expect(await run(undefined)).toContain('\x1b[31m❌ denied\x1b[39m');
    const plain = await run('1');
    expect(plain).toContain('❌ denied');
    expect(plain).not.toContain('\x1b[');
  });

  test('color is wanted only on a terminal and only when NO_COLOR is unset or empty', () => {
    expect(colorWanted({ isTTY: true }, {})).toBe(true);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted({ isTTY: false }, {})).toBe(false);
    expect(colorWanted({}, {})).toBe(false);
  });

  test('maps each action to a level by severity', () => {
    expect(levelFor('permission_check', true)).toBe('debug');
    expect(levelFor('permission_check', false)).toBe('error');
    expect(levelFor('session_expired', false)).toBe('error');
    expect(levelFor('audit_violation', false)).toBe('warn');
    expect(levelFor('approval_granted', true)).toBe('warn');
    expect(levelFor('approval_denied', false)).toBe('warn');
    // A person is asked, or did not answer in time: as visible as a decision.
    expect(levelFor('approval_requested', false)).toBe('warn');
    expect(levelFor('approval_expired', false)).toBe('warn');
    expect(levelFor('session_start', true)).toBe('info');
  });

  test('rejects an unknown level or format with an error naming the value', () => {
    expect(() => new ConsoleTransport({ level: 'verbose' as never })).toThrow(ConfigurationError);
    expect(() => new ConsoleTransport({ level: 'verbose' as never })).toThrow(
      /"verbose" is not one of error, warn, info, debug/,
    );
    expect(() => new ConsoleTransport({ format: 'xml' as never })).toThrow(
      /format "xml" is not 'pretty' or 'json'/,
    );
  });
});
