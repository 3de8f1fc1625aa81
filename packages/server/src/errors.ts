/**
 * Base of the errors the admin functions and the CLI raise; `message` says what to do.
 *
 * @example
 * ```ts
 * try { await admin.rotateKey('nope'); } catch (e) { if (e instanceof AdminError) console.error(e.message); }
 * ```
 */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * No project has that id or name.
 *
 * @example
 * ```ts
 * new ProjectNotFoundError('checkout').project; // 'checkout'
 * ```
 */
export class ProjectNotFoundError extends AdminError {
  constructor(readonly project: string) {
    super(
      `No project named or with id ${JSON.stringify(project)}; 'agentsudo-server project list' shows them.`,
    );
  }
}

/**
 * A project with that name exists already.
 *
 * @example
 * ```ts
 * new ProjectExistsError('checkout').name; // 'checkout'
 * ```
 */
export class ProjectExistsError extends AdminError {
  constructor(readonly projectName: string) {
    super(
      `A project named ${JSON.stringify(projectName)} exists already; pick another name or rotate its key.`,
    );
  }
}

/**
 * No active key starts with that prefix.
 *
 * @example
 * ```ts
 * new KeyNotFoundError('as_abc').prefix; // 'as_abc'
 * ```
 */
export class KeyNotFoundError extends AdminError {
  constructor(readonly prefix: string) {
    super(
      `No active key starts with ${JSON.stringify(prefix)}; 'agentsudo-server project list' shows key prefixes.`,
    );
  }
}

/**
 * More than one active key starts with that prefix; revoking must name exactly one.
 *
 * @example
 * ```ts
 * new AmbiguousKeyPrefixError('as_', ['as_abc12345', 'as_xyz98765']).matches.length; // 2
 * ```
 */
export class AmbiguousKeyPrefixError extends AdminError {
  constructor(
    readonly prefix: string,
    readonly matches: string[],
  ) {
    super(
      `${matches.length} active keys start with ${JSON.stringify(prefix)} (${matches.join(', ')}); give more characters.`,
    );
  }
}

/**
 * A dashboard user with that email exists already.
 *
 * @example
 * ```ts
 * new UserExistsError('ops@example.com').email;
 * ```
 */
export class UserExistsError extends AdminError {
  constructor(readonly email: string) {
    super(`A user with email ${JSON.stringify(email)} exists already.`);
  }
}

/**
 * No dashboard user has that email.
 *
 * @example
 * ```ts
 * new UserNotFoundError('ops@example.com').email;
 * ```
 */
export class UserNotFoundError extends AdminError {
  constructor(readonly email: string) {
    super(`No user has email ${JSON.stringify(email)}; 'agentsudo-server user list' shows who does.`);
  }
}

/**
 * The user to delete is the only one: nobody could log in to the dashboard afterwards.
 *
 * @example
 * ```ts
 * new OnlyUserError('ops@example.com').email;
 * ```
 */
export class OnlyUserError extends AdminError {
  constructor(readonly email: string) {
    super(
      `${email} is the only user, so nobody could log in to the dashboard without it; create another ` +
        `first ('agentsudo-server user create'), or set a new password ('agentsudo-server user reset-password').`,
    );
  }
}

/**
 * An argument is not acceptable; `field` and `value` name it.
 *
 * @example
 * ```ts
 * new InvalidInputError('email', 'nope', 'expected an address like ops@example.com');
 * ```
 */
export class InvalidInputError extends AdminError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`Invalid ${field} ${JSON.stringify(value)}: ${reason}.`);
  }
}

/**
 * `agentsudo-server start` cannot listen: another process holds the port, most often another
 * `agentsudo-server` (the `npm start` demo listens on 4319 until Ctrl+C).
 *
 * @example
 * ```ts
 * new PortInUseError('127.0.0.1', 4319).port; // 4319
 * ```
 */
export class PortInUseError extends AdminError {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `Port ${port} on ${host} is in use, perhaps by another agentsudo-server (such as the demo ` +
        `'npm start' runs): stop it, or pass --port N (--port 0 picks a free port).`,
    );
  }
}

/**
 * The text of anything thrown or rejected, for a log line: an error's message, or the value
 * itself (a library may reject with a string, or with nothing).
 *
 * @example
 * ```ts
 * promise.catch((err: unknown) => log('slack: a send failed', { err: messageOf(err) }));
 * ```
 */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
