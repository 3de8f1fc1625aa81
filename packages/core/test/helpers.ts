import { configure, type SudoAction, type SudoEvent, type Transport } from '@agentsudo/core';

/** A transport that keeps what it receives, for assertions. */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly events: SudoEvent[] = [];
  constructor(private readonly filter?: (action: SudoAction, allowed: boolean) => boolean) {}
  wants(action: SudoAction, allowed: boolean): boolean {
    return this.filter ? this.filter(action, allowed) : true;
  }
  log(event: SudoEvent): void {
    this.events.push(event);
  }
  actions(): string[] {
    return this.events.map((e) => `${e.action}:${e.allowed}`);
  }
}

/** Installs a fresh MemoryTransport as the only transport. */
export function captureEvents(filter?: (action: SudoAction, allowed: boolean) => boolean): MemoryTransport {
  const t = new MemoryTransport(filter);
  configure({ transports: [t] });
  return t;
}

/** Captures what is written to stderr while fn runs. */
export async function captureStderr(fn: () => unknown): Promise<string> {
  const original = process.stderr.write.bind(process.stderr);
  let out = '';
  (process.stderr as { write: unknown }).write = (chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  };
  try {
    await fn();
  } finally {
    (process.stderr as { write: unknown }).write = original;
  }
  return out;
}

export const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));
