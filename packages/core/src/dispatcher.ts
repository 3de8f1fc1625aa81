import { SUDO_ACTIONS, type SudoAction, type SudoEvent } from './events';
import type { Transport } from './transport';

/** Index of an (action, allowed) pair in the interest table. */
const ACTION_INDEX: Readonly<Record<SudoAction, number>> = Object.fromEntries(
  SUDO_ACTIONS.map((action, i) => [action, i * 2]),
) as Record<SudoAction, number>;

/**
 * Routes events to transports. The interest table is rebuilt only when the transport
 * set changes, so asking "does anyone want this?" on the hot path is an array read.
 *
 * @example
 * ```ts
 * const d = new Dispatcher();
 * d.setTransports([myTransport]);
 * if (d.wants('permission_check', true)) d.dispatch(event);
 * ```
 */
export class Dispatcher {
  private transports: Transport[] = [];
  private fallback: Transport | undefined;
  /** interest[index + (allowed ? 1 : 0)] = the transports wanting that pair. */
  private interest: Transport[][] = [];
  private readonly reported = new WeakSet<Transport>();
  /** Hot-path shortcut for `wants('permission_check', true)`. */
  wantsAllowedChecks = false;

  constructor(fallback?: Transport) {
    this.fallback = fallback;
    this.rebuild();
  }

  /** The configured transports (not the local-only fallback). */
  list(): readonly Transport[] {
    return this.transports;
  }

  /** Replaces the whole transport set. */
  setTransports(transports: readonly Transport[]): void {
    this.transports = [...transports];
    this.rebuild();
  }

  /** Replaces the transport used when none is configured. */
  setFallback(fallback: Transport | undefined): void {
    this.fallback = fallback;
    this.rebuild();
  }

  /** True when at least one transport wants this kind of event. */
  wants(action: SudoAction, allowed: boolean): boolean {
    return this.interest[ACTION_INDEX[action] + (allowed ? 1 : 0)].length > 0;
  }

  /** Hands the event to every interested transport; never throws. */
  dispatch(event: SudoEvent): void {
    const targets = this.interest[ACTION_INDEX[event.action] + (event.allowed ? 1 : 0)];
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      try {
        const result: unknown = t.log(event);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, (err: unknown) => this.report(t, err));
        }
      } catch (err) {
        this.report(t, err);
      }
    }
  }

  /** Flushes every transport; resolves false when any did not finish within `timeoutMs`. */
  async flush(timeoutMs = 5000): Promise<boolean> {
    const results = await Promise.all(this.active().map((t) => this.flushOne(t, timeoutMs)));
    return results.every(Boolean);
  }

  /** Flushes and closes every transport, then forgets them. */
  async shutdown(timeoutMs = 5000): Promise<boolean> {
    const transports = this.active();
    const flushed = await this.flush(timeoutMs);
    await Promise.all(transports.map((t) => this.closeOne(t, timeoutMs)));
    this.transports = [];
    this.rebuild();
    return flushed;
  }

  /** Removes one transport (if configured), then flushes and closes it; false when its flush timed out. */
  async detach(transport: Transport, timeoutMs = 5000): Promise<boolean> {
    if (this.transports.includes(transport)) {
      this.transports = this.transports.filter((t) => t !== transport);
      this.rebuild();
    }
    const flushed = await this.flushOne(transport, timeoutMs);
    await this.closeOne(transport, timeoutMs);
    return flushed;
  }

  /** Writes one line about a failing transport to stderr, once per transport. */
  report(transport: Transport, err: unknown): void {
    if (this.reported.has(transport)) return;
    this.reported.add(transport);
    const name = transport.name ?? transport.constructor?.name ?? 'transport';
    const reason = err instanceof Error ? err.message : String(err);
    try {
      process.stderr.write(
        `agentsudo: transport '${name}' failed: ${reason}. Protected calls go on; further errors from it are not reported.\n`,
      );
    } catch {
      // stderr itself is gone; nothing left to tell.
    }
  }

  private active(): Transport[] {
    return this.transports.length ? this.transports : this.fallback ? [this.fallback] : [];
  }

  private closeOne(t: Transport, timeoutMs: number): Promise<unknown> {
    return withTimeout(
      Promise.resolve().then(() => t.close?.()),
      timeoutMs,
    ).catch((e) => this.report(t, e));
  }

  private async flushOne(t: Transport, timeoutMs: number): Promise<boolean> {
    if (!t.flush) return true;
    try {
      return await withTimeout(
        Promise.resolve().then(() => t.flush!(timeoutMs)),
        timeoutMs,
      );
    } catch (err) {
      this.report(t, err);
      return false;
    }
  }

  private rebuild(): void {
    const active = this.active();
    const table: Transport[][] = [];
    for (const action of SUDO_ACTIONS) {
      for (const allowed of [false, true]) {
        table[ACTION_INDEX[action] + (allowed ? 1 : 0)] = active.filter((t) =>
          this.safeWants(t, action, allowed),
        );
      }
    }
    this.interest = table;
    this.wantsAllowedChecks = this.wants('permission_check', true);
  }

  private safeWants(t: Transport, action: SudoAction, allowed: boolean): boolean {
    if (!t.wants) return true;
    try {
      return t.wants(action, allowed) === true;
    } catch (err) {
      this.report(t, err);
      return false;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | false> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
