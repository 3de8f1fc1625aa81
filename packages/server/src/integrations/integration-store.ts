import type { Kysely } from 'kysely';
import type { SqlDriver } from '../storage/driver';
import { execute, fetchAll, fetchFirst, queryBuilder } from '../storage/query-layer';
import type { Database } from '../storage/schema';

/**
 * A project's Slack connection. `http` mode receives button clicks at the interactivity URL
 * (signed with `signingSecret`); `socket` mode receives them over Socket Mode (`appToken`),
 * for servers Slack cannot reach.
 *
 * @example
 * ```ts
 * const slack: SlackConfig = { mode: 'http', botToken: 'xoxb-…', signingSecret: '8f14…', channel: 'C0123ABCD' };
 * ```
 */
export interface SlackConfig {
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  /** A channel id (`C0123ABCD`) or name (`#approvals`) the bot is a member of. */
  channel: string;
}

/**
 * A project's webhook: where each approval request is POSTed, and the secret that signs it.
 *
 * @example
 * ```ts
 * const hook: WebhookConfig = { url: 'https://ops.example.com/agentsudo', secret: 'whsec_…' };
 * ```
 */
export interface WebhookConfig {
  url: string;
  secret: string;
}

/**
 * The integrations of every kind, by kind name.
 *
 * @example
 * ```ts
 * const kind: keyof IntegrationConfigs = 'slack';
 * ```
 */
export interface IntegrationConfigs {
  slack: SlackConfig;
  webhook: WebhookConfig;
}

/**
 * A stored integration with who changed it last and when (ms).
 *
 * @example
 * ```ts
 * const { config, updatedBy } = (await integrations.get(projectId, 'slack'))!;
 * ```
 */
export interface StoredIntegration<K extends keyof IntegrationConfigs> {
  projectId: string;
  config: IntegrationConfigs[K];
  updatedAt: number;
  updatedBy: string;
}

/**
 * The Slack and webhook connections of projects, and the Slack message each approval was
 * posted as. Tokens and secrets are stored as given (the database is the server's secret
 * store, like its password hashes); the routes never answer them whole.
 *
 * @example
 * ```ts
 * const integrations = new Integrations(driver);
 * await integrations.put(projectId, 'webhook', { url, secret }, 'ops@example.com');
 * const hook = await integrations.get(projectId, 'webhook');
 * ```
 */
export class Integrations {
  private readonly db: Kysely<Database>;

  constructor(private readonly driver: SqlDriver) {
    this.db = queryBuilder(driver.dialect);
  }

  /** The project's integration of this kind, if connected. */
  async get<K extends keyof IntegrationConfigs>(
    projectId: string,
    kind: K,
  ): Promise<StoredIntegration<K> | undefined> {
    const row = await fetchFirst(
      this.driver,
      this.db
        .selectFrom('integrations')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('kind', '=', kind),
    );
    return (
      row && {
        projectId,
        config: JSON.parse(row.config) as IntegrationConfigs[K],
        updatedAt: Number(row.updated_at),
        updatedBy: row.updated_by,
      }
    );
  }

  /** Connects (or replaces) the project's integration of this kind. */
  async put<K extends keyof IntegrationConfigs>(
    projectId: string,
    kind: K,
    config: IntegrationConfigs[K],
    updatedBy: string,
    now = Date.now(),
  ): Promise<StoredIntegration<K>> {
    const row = {
      project_id: projectId,
      kind,
      config: JSON.stringify(config),
      updated_at: now,
      updated_by: updatedBy,
    };
    await execute(
      this.driver,
      this.db
        .insertInto('integrations')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['project_id', 'kind']).doUpdateSet({
            config: row.config,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
          }),
        ),
    );
    return { projectId, config, updatedAt: now, updatedBy };
  }

  /** Disconnects it; resolves to whether there was one. */
  async remove(projectId: string, kind: keyof IntegrationConfigs): Promise<boolean> {
    const n = await execute(
      this.driver,
      this.db.deleteFrom('integrations').where('project_id', '=', projectId).where('kind', '=', kind),
    );
    return n > 0;
  }

  /** Every project's Slack connection in Socket Mode (started with the server). */
  async socketModeSlack(): Promise<Array<StoredIntegration<'slack'>>> {
    const rows = await fetchAll(
      this.driver,
      this.db.selectFrom('integrations').selectAll().where('kind', '=', 'slack'),
    );
    return rows
      .map((r) => ({
        projectId: r.project_id,
        config: JSON.parse(r.config) as SlackConfig,
        updatedAt: Number(r.updated_at),
        updatedBy: r.updated_by,
      }))
      .filter((r) => r.config.mode === 'socket');
  }

  /**
   * The project an approval id belongs to. Used only to choose whose signing secret checks a
   * Slack request: nothing in the request is trusted until that check passes.
   */
  async projectOfApproval(approvalId: string): Promise<string | undefined> {
    const row = await fetchFirst(
      this.driver,
      this.db.selectFrom('approvals').select('project_id').where('id', '=', approvalId),
    );
    return row?.project_id;
  }

  /** Remembers the Slack message that asked for an approval. */
  async saveSlackMessage(projectId: string, approvalId: string, channel: string, ts: string): Promise<void> {
    await execute(
      this.driver,
      this.db
        .insertInto('slack_messages')
        .values({ approval_id: approvalId, project_id: projectId, channel, ts })
        .onConflict((oc) => oc.column('approval_id').doUpdateSet({ channel, ts })),
    );
  }

  /** The Slack message that asked for an approval, if one was posted. */
  async slackMessage(approvalId: string): Promise<{ channel: string; ts: string } | undefined> {
    return fetchFirst(
      this.driver,
      this.db.selectFrom('slack_messages').select(['channel', 'ts']).where('approval_id', '=', approvalId),
    );
  }
}
