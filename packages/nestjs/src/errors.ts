import { ConfigurationError } from '@agentsudo/core';

/**
 * An agent was registered without any credential (no `token`, no `tokenSha256`) while
 * requests are authenticated by bearer token, so nobody could ever call as it. Almost
 * always the environment variable its token is read from is unset; the app refuses to
 * start rather than answer every request with 401.
 *
 * @example
 * ```ts
 * try {
 *   AgentSudoModule.forRoot({ agents: [{ agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN }] });
 * } catch (e) {
 *   if (e instanceof MissingAgentCredentialError) console.error(`set ${e.variable}`);
 * }
 * ```
 */
export class MissingAgentCredentialError extends ConfigurationError {
  /** The agent without a credential. */
  readonly agentName: string;
  /** The conventional name of the variable its token comes from, e.g. `SUPPORT_BOT_TOKEN`. */
  readonly variable: string;

  constructor(where: string, agentName: string, position: string) {
    const variable = tokenVariableFor(agentName);
    super(
      `${where}: agent '${agentName}' (${position}) has no credential: its token is undefined, so no ` +
        `request could ever authenticate as it. The token usually comes from an environment variable ` +
        `(such as ${variable}) that is not set here: set it, give tokenSha256 instead, or find agents ` +
        `another way with resolveAgent.`,
    );
    this.name = 'MissingAgentCredentialError';
    this.agentName = agentName;
    this.variable = variable;
  }
}

/** 'SupportBot' -> 'SUPPORT_BOT_TOKEN': the name most apps give the variable. */
function tokenVariableFor(agentName: string): string {
  const words = agentName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_');
  return `${words.replace(/^_|_$/g, '').toUpperCase() || 'AGENT'}_TOKEN`;
}
