/**
 * Settles with `work`, or rejects with `onTimeout()` once `timeoutMs` has passed without an
 * answer, so a store that hangs (a client queueing commands while it reconnects, a dropped
 * network) never hangs the call. `work` goes on in the background; its late answer or error
 * is dropped.
 *
 * @example
 * ```ts
 * const reply = await withDeadline(client.evalsha(sha, 3, ...args), 1000, () => new Error('too slow'));
 * ```
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
