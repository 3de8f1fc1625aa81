import {
  Agent,
  Sudo,
  addTransport,
  configure,
  describeOutcome,
  describeSubject,
  flush,
  getTransports,
  removeTransport,
  closeTransport,
  shutdown,
  type SudoEvent,
  type Transport,
} from '@agentsudo/core';
import { MemoryTransport, captureStderr } from './helpers';

class Tools {
  calls = 0;
  @Sudo('read:data')
  read() {
    return ++this.calls;
  }
  @Sudo('write:data')
  write() {
    return 'written';
  }
  @Sudo('write:data', { onDeny: 'log' })
  auditedWrite() {
    return 'written anyway';
  }
}

const bot = new Agent({ name: 'Bot', scopes: ['read:data'] });

afterEach(() => configure({ transports: [] }));

describe('transports', () => {
  it('receive only the events they want', () => {
    const denials = new MemoryTransport((_action, allowed) => !allowed);
    const everything = new MemoryTransport();
    configure({ transports: [denials, everything] });
    bot.startSession(() => {
      new Tools().read();
      expect(() => new Tools().write()).toThrow();
    });
    expect(denials.actions()).toEqual(['permission_check:false']);
    expect(everything.actions()).toEqual([
      'session_start:true',
      'permission_check:true',
      'permission_check:false',
      'session_end:true',
    ]);
  });

  it('build no event when no transport wants allowed checks', () => {
    let built = 0;
    const counting: Transport = {
      wants: (action, allowed) => !allowed || action !== 'permission_check',
      log: () => built++,
    };
    configure({ transports: [counting] });
    bot.startSession(() => {
      for (let i = 0; i < 100; i++) new Tools().read();
    });
    expect(built).toBe(2); // session_start and session_end only
  });

  it('never break the call when they throw, and are reported once on stderr', async () => {
    const broken: Transport = {
      name: 'broken',
      log: () => {
        throw new Error('disk on fire');
      },
    };
    const after = new MemoryTransport();
    configure({ transports: [broken, after] });
    const tools = new Tools();
    const stderr = await captureStderr(() =>
      bot.startSession(() => {
        expect(tools.read()).toBe(1);
        expect(tools.read()).toBe(2);
      }),
    );
    expect(stderr.match(/transport 'broken' failed: disk on fire/g)).toHaveLength(1);
    expect(after.events).toHaveLength(4); // the next transport still got everything
  });

  it('never break the call when log returns a rejected promise', async () => {
    const rejecting: Transport = {
      name: 'async',
      log: (() => Promise.reject(new Error('late failure'))) as never,
    };
    configure({ transports: [rejecting] });
    const stderr = await captureStderr(async () => {
      expect(bot.startSession(() => new Tools().read())).toBe(1);
      await new Promise((r) => setImmediate(r));
    });
    expect(stderr).toContain("transport 'async' failed: late failure");
  });

  it('are added and removed one by one', () => {
    const a = new MemoryTransport();
    const b = new MemoryTransport();
    configure({ transports: [a] });
    addTransport(b);
    expect(getTransports()).toEqual([a, b]);
    expect(removeTransport(a)).toBe(true);
    expect(removeTransport(a)).toBe(false);
    bot.startSession(() => new Tools().read());
    expect(a.events).toHaveLength(0);
    expect(b.events).toHaveLength(3);
  });

  it('one is closed alone: removed, flushed and closed, leaving the others configured and open', async () => {
    const steps: string[] = [];
    const mine: Transport = {
      log: () => undefined,
      flush: async () => (steps.push('mine flushed'), true),
      close: async () => void steps.push('mine closed'),
    };
    const theirs: Transport = { log: () => undefined, close: async () => void steps.push('theirs closed') };
    configure({ transports: [theirs, mine] });

    await expect(closeTransport(mine)).resolves.toBe(true);

    expect(getTransports()).toEqual([theirs]);
    expect(steps).toEqual(['mine flushed', 'mine closed']);
  });

  it('are flushed, with false when one is slower than the timeout', async () => {
    const fast: Transport = { log: () => undefined, flush: async () => true };
    const slow: Transport = {
      log: () => undefined,
      flush: () => new Promise((r) => setTimeout(() => r(true), 500)),
    };
    configure({ transports: [fast] });
    await expect(flush(100)).resolves.toBe(true);
    configure({ transports: [fast, slow] });
    await expect(flush(20)).resolves.toBe(false);
  });

  it('are flushed and closed by shutdown, which returns to local-only mode', async () => {
    const closed: string[] = [];
    const t: Transport = { log: () => undefined, close: async () => void closed.push('closed') };
    configure({ transports: [t] });
    await expect(shutdown()).resolves.toBe(true);
    expect(closed).toEqual(['closed']);
    expect(getTransports()).toEqual([]);
  });

  it('reject an object without log()', () => {
    expect(() => addTransport({} as Transport)).toThrow(/needs a log\(event\) method/);
  });
});

describe('local-only mode (nothing configured)', () => {
  it('prints one readable line per denial and audit violation, and nothing for allowed checks', async () => {
    configure({ transports: [] });
    const tools = new Tools();
    const stderr = await captureStderr(() =>
      bot.startSession(() => {
        tools.read();
        expect(() => tools.write()).toThrow();
        tools.auditedWrite();
      }),
    );
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      'agentsudo: ❌ denied Bot → write:data (Tools.write)',
      'agentsudo: ⚠ audit Bot → write:data (Tools.auditedWrite)',
    ]);
  });

  it('is left as soon as a transport is configured', async () => {
    const t = new MemoryTransport();
    configure({ transports: [t] });
    const stderr = await captureStderr(() =>
      bot.startSession(() => expect(() => new Tools().write()).toThrow()),
    );
    expect(stderr).toBe('');
    expect(t.events.some((e: SudoEvent) => !e.allowed)).toBe(true);
  });
});

describe('readable lines', () => {
  it('name the agent, scope and function of a check, and the session of a lifecycle event', () => {
    const check = {
      action: 'permission_check',
      allowed: false,
      agentName: 'Bot',
      scope: 'write:x',
      functionName: 'T.w',
    } as const;
    expect(`${describeOutcome(check)} ${describeSubject(check)}`).toBe('❌ denied Bot → write:x (T.w)');
    const start = {
      action: 'session_start',
      allowed: true,
      agentName: 'Bot',
      sessionId: '9d2a41c3-1111-4222-8333-444455556666',
    } as const;
    expect(`${describeOutcome(start)} ${describeSubject(start)}`).toBe(
      '▶ session start Bot (session 9d2a41c3)',
    );
  });
});
