import {
  Agent,
  createEvent,
  NoSessionError,
  onNoSessionCall,
  recordEvent,
  Sudo,
  configure,
  type NoSessionCall,
} from '@agentsudo/core';
import { captureEvents } from './helpers';

class Tools {
  @Sudo('read:data')
  read() {
    return 1;
  }
}

describe('refusals before any session', () => {
  afterEach(() => configure({ transports: [] }));

  it('tells onNoSessionCall listeners about a protected call with no session, then throws as before', () => {
    const calls: NoSessionCall[] = [];
    const stop = onNoSessionCall((call) => calls.push(call));
    const failing = onNoSessionCall(() => {
      throw new Error('listener bug');
    });

    expect(() => new Tools().read()).toThrow(NoSessionError);
    stop();
    failing();
    expect(() => new Tools().read()).toThrow(NoSessionError);

    expect(calls).toEqual([{ scope: 'read:data', functionName: 'Tools.read' }]);
  });

  it('does not call listeners for calls inside a session', () => {
    const calls: NoSessionCall[] = [];
    const stop = onNoSessionCall((call) => calls.push(call));
    new Agent({ name: 'Bot', scopes: ['read:data'] }).startSession(() => new Tools().read());
    stop();

    expect(calls).toEqual([]);
  });

  it('records an event made outside a protected call to the transports that want it', () => {
    const denials = captureEvents((action, allowed) => action === 'permission_check' && !allowed);

    recordEvent(createEvent({ agentName: '<unauthenticated>', action: 'permission_check', allowed: false }));
    recordEvent(createEvent({ agentName: 'Bot', action: 'session_start', allowed: true }));

    expect(denials.events.map((e) => e.agentName)).toEqual(['<unauthenticated>']);
  });
});
