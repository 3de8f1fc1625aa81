import { randomUUID } from 'node:crypto';
import {
  ApprovalPendingError,
  getTransports,
  type ApprovalContext,
  type ApprovalVerdict,
  type Approver,
} from '@agentsudo/core';
import { ApprovalServerError, type Approval, type CallBinding } from './approval-api';
import { digestArgs } from './approval-digest';
import { ApprovalRefusedError, ApprovalTimeoutError } from './approval-errors';
import { approvalHub, type ApprovalHub } from './approval-stream';
import { backoffDelay } from './backoff';
import { CloudConfigError } from './errors';
import { DEFAULT_ENDPOINT, resolveCloudOptions } from './options';
import { CloudTransport } from './transport';

/**
 * Options of {@link cloudApproval}.
 *
 * @example
 * ```ts
 * const options: CloudApprovalOptions = { timeoutMs: 120_000, describe: (orderId, amount) => `Refund ${amount} EUR on ${orderId}` };
 * ```
 */
export interface CloudApprovalOptions {
  /** How long a request may wait for a decision, 1000 to 86,400,000 ms. Default 300,000 (5 minutes). */
  timeoutMs?: number;
  /**
   * The text the person deciding sees, made from the call's arguments in this process. It is
   * the only thing about the call that leaves the process (up to 500 characters). If it
   * throws or returns something other than a string, the request goes without a description.
   */
  describe?: (...args: any[]) => string;
  /**
   * true (default): an `async` function's call waits for the decision. false: the call throws
   * `ApprovalPendingError` and the same call made again after approval runs once. Synchronous
   * functions always work this way.
   */
  wait?: boolean;
  /**
   * Blocking mode only: how long a call waits for the decision, 1 to `timeoutMs` ms. Default:
   * all of `timeoutMs`. When the wait ends undecided, the call throws `ApprovalPendingError`
   * (with the request's id) instead of being refused: the request stays pending on the server
   * until `timeoutMs`, and the same call made again after approval runs once. For callers that
   * cannot wait long, such as an MCP client that gives up after 60 seconds.
   */
  waitMs?: number;
  /** The server's base URL. Default: configureCloud's, then `AGENTSUDO_ENDPOINT`, then http://127.0.0.1:4319. */
  endpoint?: string;
  /** The project's ingest key. Default: configureCloud's, then `AGENTSUDO_API_KEY`. */
  apiKey?: string;
}

const MIN_TIMEOUT_MS = 1000;
const MAX_TIMEOUT_MS = 86_400_000;
const MAX_DESCRIPTION = 500;
/** Calls remembered in pending mode at most (the oldest is forgotten first). */
const MAX_PENDING_CALLS = 10_000;

/**
 * An approver for `onDeny` whose requests are held by the AgentSudo server: a person
 * approves or denies them on the dashboard (or in Slack). The call's arguments never leave
 * the process; the request is bound to the call by an HMAC digest of them, and only
 * `describe(...args)` is shown. Anything that prevents a decision (a timeout, an unreachable
 * server, an error answer) refuses the call.
 *
 * @example
 * ```ts
 * class Payments {
 *   @Sudo('write:refunds', { onDeny: cloudApproval({ timeoutMs: 120_000,
 *     describe: (orderId, amount) => `Refund ${amount} EUR on order ${orderId}` }) })
 *   async refund(orderId: string, amount: number) { … }
 * }
 * ```
 * @throws CloudConfigError when an option is invalid (at once, not on a call).
 */
export function cloudApproval(options: CloudApprovalOptions = {}): Approver {
  const settings = checkOptions(options);
  const pendingCalls = new Map<string, string>();
  return async (ctx: ApprovalContext): Promise<ApprovalVerdict> => {
    const hub = hubFor(settings);
    const digest = digestArgs(ctx.args);
    if (!digest.ok) throw digest.error;
    const binding: CallBinding = {
      agent_name: ctx.agent.name,
      agent_id: ctx.agent.id,
      scope: ctx.scope,
      function_name: ctx.functionName,
      args_digest: digest.digest,
    };
    const grant = hub.coveringGrant(binding);
    if (grant) return { approved: true, decidedBy: `grant ${grant.id}` };
    if (!settings.wait || !ctx.isAsync) return askWithin(0, hub, settings, ctx, binding, pendingCalls);
    if (settings.waitMs < settings.timeoutMs)
      return askWithin(settings.waitMs, hub, settings, ctx, binding, pendingCalls);
    return ask(hub, settings, ctx, binding);
  };
}

interface Settings {
  timeoutMs: number;
  wait: boolean;
  waitMs: number;
  describe: ((...args: any[]) => string) | undefined;
  endpoint: string | undefined;
  apiKey: string | undefined;
}

/** Blocking mode: ask, then wait for the decision pushed by the server. */
async function ask(
  hub: ApprovalHub,
  settings: Settings,
  ctx: ApprovalContext,
  binding: CallBinding,
): Promise<ApprovalVerdict> {
  // Captured before asking: a stream already up then sees every decision on this request.
  const coveredEpoch = hub.up ? hub.epoch : undefined;
  const created = await hub.api.create(requestBody(settings, ctx, binding));
  if (created.status !== 'pending') return settle(hub, created, binding);
  const { approval, error } = await awaitDecision(
    hub,
    created.id,
    Date.now() + settings.timeoutMs,
    coveredEpoch,
  );
  if (approval) return settle(hub, approval, binding);
  if (error instanceof ApprovalServerError && error.status !== undefined) throw error;
  return {
    approved: false,
    approvalId: created.id,
    silent: true,
    cause: new ApprovalTimeoutError(created.id, settings.timeoutMs, error),
  };
}

/**
 * Pending mode (`waitMs` 0) and bounded blocking mode: the first call asks, waits up to
 * `waitMs` for the decision, and if there is none yet throws ApprovalPendingError; the same
 * call (agent, scope, function, argument digest) made again after approval runs once.
 */
async function askWithin(
  waitMs: number,
  hub: ApprovalHub,
  settings: Settings,
  ctx: ApprovalContext,
  binding: CallBinding,
  pendingCalls: Map<string, string>,
): Promise<ApprovalVerdict> {
  const key = JSON.stringify([
    binding.agent_name,
    binding.agent_id,
    binding.scope,
    binding.function_name,
    binding.args_digest,
  ]);
  const remembered = pendingCalls.get(key);
  // Captured before asking: a stream already up then sees every decision on this request.
  const coveredEpoch = hub.up ? hub.epoch : undefined;
  let approval = remembered
    ? (hub.decided(remembered) ?? (await hub.api.get(remembered)))
    : await hub.api.create(requestBody(settings, ctx, binding));
  if (approval.status === 'pending' && waitMs > 0) {
    const waited = await awaitDecision(hub, approval.id, Date.now() + waitMs, coveredEpoch);
    if (waited.approval) approval = waited.approval;
    else if (waited.error instanceof ApprovalServerError && waited.error.status !== undefined)
      throw waited.error;
  }
  if (approval.status === 'pending') {
    if (!remembered) {
      pendingCalls.set(key, approval.id);
      if (pendingCalls.size > MAX_PENDING_CALLS)
        pendingCalls.delete(pendingCalls.keys().next().value as string);
    }
    throw new ApprovalPendingError({
      agentName: ctx.agent.name,
      scope: ctx.scope,
      functionName: ctx.functionName,
      approvalId: approval.id,
      expiresAt: approval.expires_at,
    });
  }
  // Decided: whatever happens next, the next such call asks anew.
  pendingCalls.delete(key);
  return settle(hub, approval, binding);
}

/** Turns a decided approval into a verdict; an approval runs the call only once it is consumed. */
async function settle(hub: ApprovalHub, approval: Approval, binding: CallBinding): Promise<ApprovalVerdict> {
  if (approval.status === 'approved') {
    const consumed = await hub.api.consume(approval.id, binding);
    if (consumed.id !== approval.id) {
      throw new ApprovalServerError(
        `POST ${hub.api.endpoint}/api/approvals/${approval.id}/consume`,
        200,
        undefined,
        'the answer names another approval',
      );
    }
    // The server recorded the request and the decision itself.
    return { approved: true, approvalId: approval.id, decidedBy: approval.decided_by, silent: true };
  }
  const status = approval.status === 'expired' ? 'expired' : 'denied';
  return {
    approved: false,
    approvalId: approval.id,
    decidedBy: approval.decided_by,
    silent: true,
    cause: new ApprovalRefusedError(approval.id, status, approval.decided_by, approval.reason),
  };
}

/**
 * Waits for a decision on `id` until `deadline`: through the hub's stream while it is up and
 * has been since before the request was known pending, else by long-polling the wait
 * endpoint (which also answers as soon as the decision is made). Never by fixed-interval
 * polling. Resolves without an approval on timeout, or on an error answer (`error`).
 */
function awaitDecision(
  hub: ApprovalHub,
  id: string,
  deadline: number,
  coveredEpoch: number | undefined,
): Promise<{ approval?: Approval; error?: unknown }> {
  return new Promise((resolve) => {
    let covered = coveredEpoch;
    let done = false;
    let polling = false;
    let lastError: unknown;
    const abort = new AbortController();
    const finish = (approval?: Approval) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stopDecision();
      stopState();
      abort.abort();
      resolve({ approval, error: lastError });
    };
    const timer = setTimeout(() => finish(), Math.max(0, deadline - Date.now()));
    const stopDecision = hub.onDecision(id, (approval) => finish(approval));
    const streamCovers = () => covered !== undefined && hub.up && hub.epoch === covered;
    const poll = async () => {
      polling = true;
      let attempt = 0;
      while (!done && !streamCovers()) {
        const epochBefore = hub.up ? hub.epoch : undefined;
        try {
          const approval = await hub.api.wait(id, Math.min(25_000, deadline - Date.now()), abort.signal);
          attempt = 0;
          if (approval.status !== 'pending') return finish(approval);
          // The stream was up for the whole long-poll: it has seen every decision since.
          if (epochBefore !== undefined && hub.up && hub.epoch === epochBefore) covered = epochBefore;
        } catch (err) {
          if (done) return;
          lastError = err;
          // A refusal (404, 401, …) will not change by asking again; a lost server may come back.
          const status = err instanceof ApprovalServerError ? err.status : undefined;
          if (status !== undefined && status < 500 && status !== 408 && status !== 429) return finish();
          await new Promise((r) => setTimeout(r, backoffDelay(++attempt, 5000)));
        }
      }
      polling = false;
    };
    const consider = () => {
      if (!done && !polling && !streamCovers()) void poll();
    };
    const stopState = hub.onStateChange(consider);
    consider();
  });
}

function requestBody(settings: Settings, ctx: ApprovalContext, binding: CallBinding) {
  const description = describeCall(settings.describe, ctx.args);
  return {
    ...binding,
    ...(description !== undefined ? { description } : {}),
    timeout_ms: settings.timeoutMs,
    session_id: ctx.session.id,
    request_key: randomUUID(),
  };
}

/** describe(...args), bounded; undefined when absent, throwing, or not a string. */
function describeCall(describe: Settings['describe'], args: readonly unknown[]): string | undefined {
  if (!describe) return undefined;
  let text: unknown;
  try {
    text = describe(...args);
  } catch {
    return undefined;
  }
  if (typeof text !== 'string') return undefined;
  // Cut by code points, so a cut never leaves half a surrogate pair.
  return text.length <= MAX_DESCRIPTION
    ? text
    : Array.from(text)
        .slice(0, MAX_DESCRIPTION)
        .join('')
        .slice(0, MAX_DESCRIPTION)
        .replace(/[\uD800-\uDBFF]$/, '');
}

/** The server and key for a call: the overrides, else configureCloud's, else the environment. */
function hubFor(settings: Settings): ApprovalHub {
  const cloud = getTransports().find((t): t is CloudTransport => t instanceof CloudTransport && !t.isClosed);
  const base =
    cloud?.options ??
    resolveCloudOptions({ apiKey: settings.apiKey, endpoint: settings.endpoint, spoolDir: false });
  const endpoint = settings.endpoint ?? base.endpoint;
  const apiKey = settings.apiKey ?? base.apiKey;
  return approvalHub(endpoint, apiKey, base.requestTimeoutMs);
}

function checkOptions(options: CloudApprovalOptions): Settings {
  const bad = (option: string, value: unknown, what: string) =>
    new CloudConfigError(option, value, `cloudApproval: ${option} ${what}.`);
  if (typeof options !== 'object' || options === null)
    throw bad('(options)', options, 'must be an object such as { timeoutMs: 120_000 }');
  const { timeoutMs = 300_000, describe, wait = true, waitMs = timeoutMs, endpoint, apiKey } = options;
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < MIN_TIMEOUT_MS ||
    timeoutMs > MAX_TIMEOUT_MS
  ) {
    throw bad(
      'timeoutMs',
      timeoutMs,
      `must be a whole number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`,
    );
  }
  if (describe !== undefined && typeof describe !== 'function') {
    throw bad('describe', describe, "must be a function of the call's arguments that returns a string");
  }
  if (typeof wait !== 'boolean') throw bad('wait', wait, `must be true or false, got ${String(wait)}`);
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 1 || waitMs > timeoutMs) {
    throw bad(
      'waitMs',
      waitMs,
      `must be a whole number of milliseconds from 1 to timeoutMs (${timeoutMs}), got ${String(waitMs)}`,
    );
  }
  if (endpoint === undefined && apiKey === undefined)
    return { timeoutMs, wait, waitMs, describe, endpoint, apiKey };
  try {
    // The same checks as configureCloud's, on the overrides only.
    const resolved = resolveCloudOptions(
      { apiKey: apiKey ?? 'as_unused', endpoint: endpoint ?? DEFAULT_ENDPOINT, spoolDir: false },
      {},
    );
    return {
      timeoutMs,
      wait,
      waitMs,
      describe,
      endpoint: endpoint === undefined ? undefined : resolved.endpoint,
      apiKey: apiKey === undefined ? undefined : resolved.apiKey,
    };
  } catch (err) {
    if (!(err instanceof CloudConfigError)) throw err;
    throw new CloudConfigError(
      err.option,
      err.value,
      err.message.replace(/^configureCloud/, 'cloudApproval'),
    );
  }
}
