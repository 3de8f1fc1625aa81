import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PolicyError, type Agent, type Approver, type Guard } from '@agentsudo/core';
import { buildPolicy, policyApprover, policyGuard, type Policy } from './policy-load';

/**
 * What a watch reports after each reload: the new policy, or the error that kept the last
 * good one.
 *
 * @example
 * ```ts
 * const onChange: PolicyChange = (err, policy) => console.log(err ? err.message : `${policy!.agents.length} agents`);
 * ```
 */
export type PolicyChange = (error: PolicyError | undefined, policy: Policy | undefined) => void;

/**
 * Options of {@link watchPolicy}.
 *
 * @example
 * ```ts
 * const options: WatchPolicyOptions = { debounceMs: 100 };
 * ```
 */
export interface WatchPolicyOptions {
  /** How long the file must be quiet before it is read again; default 100 ms. */
  debounceMs?: number;
}

/**
 * A policy file under watch: `current` is the last good policy, replaced as one reference
 * once an edit has been read, checked and built in full.
 *
 * @example
 * ```ts
 * const watcher = watchPolicy('agentsudo.policy.yaml', (err) => err && alert(err.message));
 * await watcher.agent('RefundBot').startSession(() => payments.refund('o-1', 20));
 * watcher.close();
 * ```
 */
export interface PolicyWatch {
  /** The last good policy. */
  readonly current: Policy;
  /** The agent `name` of the current policy (see `Policy.agent`). */
  agent(name: string): Agent;
  /** A guard running the current policy's guards for each call's scope. */
  guard(): Guard;
  /** An approver asked only for scopes the current policy's `approval:` lists. */
  approver(approver: Approver): Approver;
  /** Reads the file again now (on a signal, say), reporting like an edit. */
  reload(): void;
  /** Stops watching. */
  close(): void;
}

/**
 * Loads `file` like `loadPolicy` (throwing if it is bad) and reloads it whenever it
 * changes, also when an editor replaces it by renaming a new file over it. A good edit
 * becomes `current` and is passed to `onChange`; a bad one keeps the last good policy, is
 * passed to `onChange` and said once on stderr. A check reads `current` once, so it sees
 * the old policy or the new one, never part of each.
 *
 * @example
 * ```ts
 * const watcher = watchPolicy('agentsudo.policy.yaml', (err, policy) => {
 *   if (policy) console.log('policy reloaded');
 * });
 * ```
 */
export function watchPolicy(
  file: string,
  onChange: PolicyChange,
  options: WatchPolicyOptions = {},
): PolicyWatch {
  const debounceMs = options.debounceMs ?? 100;
  if (!Number.isSafeInteger(debounceMs) || debounceMs < 0 || debounceMs > 60_000) {
    throw new PolicyError(
      [],
      `watchPolicy: debounceMs ${String(debounceMs)} is not usable.`,
      'Pass whole milliseconds from 0 to 60000.',
    );
  }
  let current = buildPolicy(file);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const reload = () => {
    if (closed) return;
    try {
      current = buildPolicy(file, current);
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      process.stderr.write(
        `agentsudo: the policy was not reloaded, the last good one stays: ${err.message.split('\n')[0]}\n`,
      );
      report(err, undefined);
      return;
    }
    report(undefined, current);
  };
  const report: PolicyChange = (err, policy) => {
    try {
      onChange(err, policy);
    } catch {
      // The listener's own failure must not stop the watch.
    }
  };
  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
    timer.unref();
  };
  // The folder, not the file: an editor that saves by renaming a new file over the old one
  // replaces the inode a watch on the file would hold, and its events would stop.
  const name = basename(file);
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed === null || changed === name) schedule();
  });
  watcher.on('error', (err) => {
    process.stderr.write(`agentsudo: stopped watching the policy ${file} (${err.message})\n`);
  });
  return {
    get current() {
      return current;
    },
    agent: (agentName) => current.agent(agentName),
    guard: () => policyGuard(() => current),
    approver: (approver) => policyApprover(() => current, approver),
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
