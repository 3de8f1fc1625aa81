import { SocketModeClient } from '@slack/socket-mode';
import { messageOf } from '../errors';
import type { SlackConfig } from './integration-store';
import { slackLogger } from './slack-client';
import { readSlackClick, type SlackInteractions } from './slack-interactions';

/**
 * The Socket Mode connections of projects whose Slack is connected in `socket` mode: for a
 * server Slack cannot reach, clicks arrive over a WebSocket the server opens with the app
 * token. Each interaction is acknowledged at once, then decided like a verified HTTP click.
 *
 * @example
 * ```ts
 * const sockets = new SlackSockets({ interactions, slackApiUrl, log });
 * await sockets.connect(projectId, config);
 * await sockets.closeAll();
 * ```
 */
export class SlackSockets {
  private readonly clients = new Map<string, SocketModeClient>();

  constructor(
    private readonly deps: {
      interactions: SlackInteractions;
      slackApiUrl?: string;
      log: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {}

  /** Opens (or reopens) the project's connection; resolves once Slack said hello. */
  async connect(projectId: string, config: SlackConfig): Promise<void> {
    await this.disconnect(projectId);
    if (config.mode !== 'socket' || !config.appToken) return;
    const client = new SocketModeClient({
      appToken: config.appToken,
      // A few tries of apps.connections.open, not the client's default of 100: a wrong token
      // or an unreachable Slack is logged, and saving the connection again starts over.
      clientOptions: {
        slackApiUrl: this.deps.slackApiUrl,
        retryConfig: { retries: 2, factor: 2, minTimeout: 500 },
      },
      logger: slackLogger((message) => this.deps.log('slack: Socket Mode', { projectId, err: message })),
    });
    client.on('interactive', async ({ ack, body }: { ack: () => Promise<void>; body: unknown }) => {
      // Slack wants the ack within 3 s; the decision and its answers follow.
      await ack().catch(() => undefined);
      const click = readSlackClick(body);
      if (!click) return;
      await this.deps.interactions.decide(projectId, config, click).catch((err: unknown) =>
        this.deps.log('slack: a Socket Mode click failed', {
          projectId,
          err: messageOf(err),
        }),
      );
    });
    client.on('error', (err: unknown) =>
      this.deps.log('slack: Socket Mode error', {
        projectId,
        err: messageOf(err),
      }),
    );
    this.clients.set(projectId, client);
    await client.start();
    // Disconnected (or replaced) while it was opening: a start that still succeeds would leave
    // a connection nobody closes.
    if (this.clients.get(projectId) !== client) await client.disconnect().catch(() => undefined);
  }

  /**
   * {@link connect} in the background, for a save or a start that must not wait for Slack or
   * fail with it: a connection that fails is logged, and one closed before it was open (a
   * disconnect, or a newer save) is no failure at all. Never rejects.
   */
  connectInBackground(projectId: string, config: SlackConfig): void {
    this.connect(projectId, config).catch((err: unknown) => {
      // The client rejects with nothing when it is disconnected while it starts.
      if (err === undefined && !this.clients.has(projectId)) return;
      this.deps.log('slack: Socket Mode did not connect', {
        projectId,
        err: messageOf(err),
      });
    });
  }

  /** Closes the project's connection, if open. */
  async disconnect(projectId: string): Promise<void> {
    const client = this.clients.get(projectId);
    if (!client) return;
    this.clients.delete(projectId);
    await client.disconnect().catch(() => undefined);
  }

  /** Closes every connection (server shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((id) => this.disconnect(id)));
  }
}
