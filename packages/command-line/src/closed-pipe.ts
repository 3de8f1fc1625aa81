/**
 * Makes a command end quietly when whoever reads its output stops early, as
 * `agentsudo logs audit.jsonl | head -1` does: the next write to the closed pipe fails
 * with `EPIPE`, which Node reports as an unhandled 'error' event, a stack trace and exit
 * code 1. The reader has had all it wanted, so the command exits with code 0 and says
 * nothing. Any other stream error is rethrown, so it still fails loudly.
 *
 * Self-contained (Node only) so that any command-line entry point can call it first thing.
 *
 * @param streams the outputs to watch; default stdout and stderr.
 * @param exit how to end the process; default `process.exit`.
 *
 * @example
 * ```ts
 * endQuietlyOnClosedPipe();
 * process.stdout.write(table); // `… | head -1` no longer prints a stack trace
 * ```
 */
export function endQuietlyOnClosedPipe(
  streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // A write queued after the pipe closed fails with ERR_STREAM_DESTROYED: same cause.
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') exit(0);
      else throw err;
    });
  }
}
