import { EventEmitter } from 'node:events';
import {
  Agent,
  NoSessionError,
  SessionExpiredError,
  Sudo,
  configure,
  currentAgent,
  currentSession,
} from '@agentsudo/core';
import { captureEvents, tick } from './helpers';

class Tools {
  @Sudo('read:data')
  read(): string {
    return currentAgent()!.name;
  }
}

afterEach(() => configure({ transports: [] }));

describe('sessions', () => {
  it('returns the result of a sync function and of an async one', async () => {
    const bot = new Agent({ name: 'Bot', scopes: [] });
    expect(bot.startSession(() => 41 + 1)).toBe(42);
    const promised = bot.startSession(async () => {
      await tick();
      return 'done';
    });
    expect(promised).toBeInstanceOf(Promise);
    await expect(promised).resolves.toBe('done');
  });

  it('exposes the agent and session inside, and nothing outside', () => {
    const bot = new Agent({ name: 'Bot', scopes: [] });
    expect(currentAgent()).toBeUndefined();
    bot.startSession((session) => {
      expect(currentAgent()).toBe(bot);
      expect(currentSession()).toBe(session);
      expect(session.agent).toBe(bot);
    });
    expect(currentSession()).toBeUndefined();
  });

  it('lets a nested session of another agent win inside and restores the outer one after', async () => {
    const outer = new Agent({ name: 'Outer', scopes: [] });
    const inner = new Agent({ name: 'Inner', scopes: [] });
    await outer.startSession(async () => {
      expect(currentAgent()).toBe(outer);
      await inner.startSession(async () => {
        await tick();
        expect(currentAgent()).toBe(inner);
      });
      expect(currentAgent()).toBe(outer);
    });
  });

  it('keeps 1,000 interleaved concurrent sessions of different agents apart across awaits, timers, promise chains and emitters', async () => {
    const agents = Array.from(
      { length: 50 },
      (_, i) => new Agent({ name: `agent-${i}`, scopes: ['read:data'] }),
    );
    const tools = new Tools();
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const mismatches: string[] = [];
    const check = (expected: string, where: string) => {
      const seen = tools.read();
      if (seen !== expected) mismatches.push(`${where}: expected ${expected}, saw ${seen}`);
    };

    const runs = Array.from({ length: 1000 }, (_, i) => {
      const agent = agents[i % agents.length];
      return agent.startSession(async () => {
        check(agent.name, 'start');
        await tick(i % 7);
        check(agent.name, 'after await');
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            check(agent.name, 'in timer');
            resolve();
          }, i % 5),
        );
        await Promise.resolve()
          .then(() => check(agent.name, 'in then'))
          .then(() => tick(i % 3))
          .then(() => check(agent.name, 'in later then'));
        await new Promise<void>((resolve) => {
          const emitter = new EventEmitter();
          emitter.once('go', () => {
            check(agent.name, 'in emitter listener');
            resolve();
          });
          setImmediate(() => emitter.emit('go'));
        });
        check(agent.name, 'end');
        return agent.name;
      });
    });
    const names = await Promise.all(runs);
    expect(mismatches).toEqual([]);
    expect(names).toEqual(Array.from({ length: 1000 }, (_, i) => `agent-${i % 50}`));
  });

  it('answers each agent by its own scopes when agents alternate on one method', async () => {
    const allowed = new Agent({ name: 'Allowed', scopes: ['read:data'] });
    const denied = new Agent({ name: 'Denied', scopes: ['read:other'] });
    captureEvents(); // keep the 100 denials off stderr
    const tools = new Tools();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const agent = i % 2 ? denied : allowed;
        return agent.startSession(async () => {
          await tick(i % 3);
          try {
            return tools.read();
          } catch {
            return 'denied';
          }
        });
      }),
    );
    expect(outcomes).toEqual(Array.from({ length: 200 }, (_, i) => (i % 2 ? 'denied' : 'Allowed')));
  });

  it('still checks (and allows) work that outlives its session, until the TTL passes', async () => {
    const bot = new Agent({ name: 'Lingering', scopes: ['read:data'], sessionTtlMs: 60 });
    const tools = new Tools();
    const later = (ms: number) =>
      new Promise<unknown>((resolve) =>
        setTimeout(() => {
          try {
            resolve(tools.read());
          } catch (e) {
            resolve(e);
          }
        }, ms),
      );
    const [soon, tooLate] = bot.startSession(() => [later(5), later(120)]);
    expect(currentSession()).toBeUndefined();
    await expect(soon).resolves.toBe('Lingering');
    await expect(tooLate).resolves.toBeInstanceOf(SessionExpiredError);
  });

  it('refuses protected calls outside a session with NoSessionError telling how to start one', () => {
    expect(() => new Tools().read()).toThrow(NoSessionError);
    expect(() => new Tools().read()).toThrow(/agent\.startSession/);
  });

  it('denies checks after sessionTtlMs with SessionExpiredError and a session_expired event', async () => {
    const events = captureEvents();
    const bot = new Agent({ name: 'Short', scopes: ['read:data'], sessionTtlMs: 20 });
    const tools = new Tools();
    await bot.startSession(async () => {
      expect(tools.read()).toBe('Short');
      await tick(40);
      let caught: unknown;
      try {
        tools.read();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SessionExpiredError);
      expect((caught as SessionExpiredError).agentName).toBe('Short');
      expect((caught as SessionExpiredError).message).toMatch(/sessionTtlMs/);
    });
    expect(events.actions()).toEqual([
      'session_start:true',
      'permission_check:true',
      'session_expired:false',
      'session_end:true',
    ]);
  });

  it('expires exactly even while synchronous or microtask-only work keeps timers from firing', async () => {
    const bot = new Agent({ name: 'Busy', scopes: ['read:data'], sessionTtlMs: 20 });
    const tools = new Tools();
    const busy = (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until);
    };
    bot.startSession(() => {
      expect(tools.read()).toBe('Busy');
      busy(40);
      expect(() => tools.read()).toThrow(SessionExpiredError);
    });
    await bot.startSession(async () => {
      expect(tools.read()).toBe('Busy');
      for (let i = 0; i < 4; i++) {
        await Promise.resolve(); // microtasks only: no timer can run in between
        busy(10);
      }
      expect(() => tools.read()).toThrow(SessionExpiredError);
    });
  });

  it('emits session_start and session_end with the same session id, also when fn throws', async () => {
    const events = captureEvents();
    const bot = new Agent({ name: 'Bot', scopes: [] });
    expect(() =>
      bot.startSession(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    await expect(bot.startSession(async () => Promise.reject(new Error('later')))).rejects.toThrow('later');
    expect(events.actions()).toEqual([
      'session_start:true',
      'session_end:true',
      'session_start:true',
      'session_end:true',
    ]);
    expect(events.events[0].sessionId).toBe(events.events[1].sessionId);
    expect(events.events[0].sessionId).not.toBe(events.events[2].sessionId);
  });

  it('ends an async session only when its promise settles', async () => {
    const events = captureEvents();
    const bot = new Agent({ name: 'Bot', scopes: [] });
    const running = bot.startSession(() => tick(10));
    expect(events.actions()).toEqual(['session_start:true']);
    await running;
    expect(events.actions()).toEqual(['session_start:true', 'session_end:true']);
  });
});
