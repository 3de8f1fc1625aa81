import { Injectable } from '@nestjs/common';
import {
  addTransport,
  closeTransport,
  configure,
  flush,
  getTransports,
  removeTransport,
  shutdown,
  type Transport,
} from '@agentsudo/core';

/**
 * Injectable handle on core's event delivery: which transports receive events, and
 * flushing them (at the end of a batch job, before a serverless function returns).
 * Core keeps one dispatcher per process, shared by every app in it; this delegates to it.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class AuditExport {
 *   constructor(private readonly dispatcher: SudoDispatcher) {}
 *   async finish() { await this.dispatcher.flush(2000); }
 * }
 * ```
 */
@Injectable()
export class SudoDispatcher {
  /**
   * The configured transports, in order.
   *
   * @example
   * ```ts
   * dispatcher.transports().length;
   * ```
   */
  transports(): readonly Transport[] {
    return getTransports();
  }

  /**
   * Replaces every transport (an empty list returns to local-only mode).
   *
   * @example
   * ```ts
   * dispatcher.setTransports([new FileTransport({ filename: 'audit.jsonl' })]);
   * ```
   */
  setTransports(transports: readonly Transport[]): void {
    configure({ transports });
  }

  /**
   * Adds one transport beside those configured.
   *
   * @example
   * ```ts
   * dispatcher.addTransport(recorder);
   * ```
   */
  addTransport(transport: Transport): void {
    addTransport(transport);
  }

  /**
   * Removes a transport without closing it; true when it was configured.
   *
   * @example
   * ```ts
   * dispatcher.removeTransport(recorder);
   * ```
   */
  removeTransport(transport: Transport): boolean {
    return removeTransport(transport);
  }

  /**
   * Removes one transport, then flushes and closes it, leaving the others; false when its
   * flush timed out.
   *
   * @example
   * ```ts
   * await dispatcher.closeTransport(recorder, 2000);
   * ```
   */
  closeTransport(transport: Transport, timeoutMs?: number): Promise<boolean> {
    return closeTransport(transport, timeoutMs);
  }

  /**
   * Waits until every transport has delivered what it holds; false on timeout.
   *
   * @example
   * ```ts
   * await dispatcher.flush(2000);
   * ```
   */
  flush(timeoutMs?: number): Promise<boolean> {
    return flush(timeoutMs);
  }

  /**
   * Flushes and closes every transport of the process (other apps' too) and returns to
   * local-only mode.
   *
   * @example
   * ```ts
   * await dispatcher.shutdown();
   * ```
   */
  shutdown(timeoutMs?: number): Promise<boolean> {
    return shutdown(timeoutMs);
  }
}
