import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, configure, currentAgent, type SudoEvent, type Transport } from '@agentsudo/core';
import { generateAgentToken } from '../src';

/** A transport that keeps every event, for assertions (and to keep denials off stderr). */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly events: SudoEvent[] = [];
  log(event: SudoEvent): void {
    this.events.push(event);
  }
  checks(): string[] {
    return this.events
      .filter((e) => e.action === 'permission_check')
      .map(
        (e) =>
          `${e.agentName} ${e.allowed ? 'allowed' : 'denied'} ${e.scope ?? '(no scope)'} in ${e.functionName}`,
      );
  }
}

/** Installs a fresh MemoryTransport as core's only transport. */
export function captureEvents(): MemoryTransport {
  const transport = new MemoryTransport();
  configure({ transports: [transport] });
  return transport;
}

/** The two agents of the support desk: one reads, one also refunds. */
export function supportDeskAgents() {
  const reader = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
  const refunder = new Agent({ name: 'RefundBot', scopes: ['read:*', 'write:refunds'] });
  const readerToken = generateAgentToken();
  const refunderToken = generateAgentToken();
  return {
    reader,
    refunder,
    readerToken,
    refunderToken,
    registrations: [
      { agent: reader, token: readerToken },
      { agent: refunder, token: refunderToken },
    ],
  };
}

/** Resolves after `ms` through a timer, the way real I/O hops contexts. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts `server` on 127.0.0.1 at an ephemeral port and returns its base URL. */
export async function listenLocal(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server started by {@link listenLocal}, dropping idle keep-alive sockets. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Builds n tasks alternating between two agents, with small varied delays. */
export function interleaved<T>(count: number, make: (i: number, delayMs: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => make(i, (i * 7) % 13));
}

/** The calling agent's name, or 'none' outside a session. */
export function whoIsCalling(): string {
  return currentAgent()?.name ?? 'none';
}

/**
 * Which agent each step of a request sees: before and after a timer, in a setImmediate
 * callback, and inside a nested @Sudo call (`nested` returns the name it saw).
 */
export async function agentsSeenAcrossAsyncHops(
  waitMs: number,
  nested: () => Promise<string | undefined>,
): Promise<string[]> {
  const seen = [whoIsCalling()];
  await delay(waitMs);
  seen.push(whoIsCalling());
  seen.push(await new Promise<string>((resolve) => setImmediate(() => resolve(whoIsCalling()))));
  seen.push((await nested()) ?? 'none');
  return seen;
}
