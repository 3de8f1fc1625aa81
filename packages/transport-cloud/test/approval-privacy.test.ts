import { Agent, ApprovalPendingError, configure, sudo } from '@agentsudo/core';
import { closeApprovalStreams, cloudApproval, type CloudApprovalOptions } from '@agentsudo/transport-cloud';
import { ApprovalServer, decide, waitFor } from './approval-server';

const bot = new Agent({ name: 'RefundBot', scopes: [] });
let server: ApprovalServer;

beforeEach(async () => {
  server = await new ApprovalServer().start();
});
afterEach(async () => {
  closeApprovalStreams();
  configure({ transports: [] });
  await server.stop();
});

function guarded(options: CloudApprovalOptions) {
  const onDeny = cloudApproval({ endpoint: server.url, apiKey: ApprovalServer.KEY, ...options });
  const send = sudo(
    'send:email',
    async (to: string, body: { text: string; amount: number }) => `${to}:${body.amount}`,
    {
      onDeny,
      name: 'Mailer.send',
    },
  );
  return (to: string, body: { text: string; amount: number }) => bot.startSession(() => send(to, body));
}

describe('privacy: arguments never leave the process', () => {
  it('the server receives the describe() text and the digest, and no byte of any argument', async () => {
    const secrets = {
      to: 'vip-customer-71@example.org',
      text: 'Password reset code 884213',
      amount: 98765.4321,
    };
    const send = guarded({ describe: (to: string) => `Mail to a customer (${to.length} chars)` });
    const call = send(secrets.to, { text: secrets.text, amount: secrets.amount });
    await decide(server, (await waitFor(() => server.list()[0])).id, 'approve', { remember_minutes: 5 });
    await call;
    const pending = guarded({ wait: false });
    await pending(secrets.to, { text: secrets.text, amount: secrets.amount + 1 }).catch((e: unknown) => e);
    await pending(secrets.to, { text: secrets.text, amount: secrets.amount + 1 }).catch((e: unknown) => e);

    const received = server.receivedText();
    // The recording works: the description, the digest and the agent are in it.
    expect(received).toContain(`Mail to a customer (${secrets.to.length} chars)`);
    expect(received).toContain(server.list()[0].args_digest);
    expect(received).toContain('RefundBot');
    for (const value of [secrets.to, 'vip-customer', secrets.text, '884213', '98765', 'example.org']) {
      expect(received).not.toContain(value);
    }
    expect(server.list()[0]).toMatchObject({ description: 'Mail to a customer (27 chars)' });
  });

  it('without describe() no description is sent; a describe() that throws sends none either', async () => {
    const plain = guarded({ wait: false });
    const throwing = guarded({
      wait: false,
      describe: () => {
        throw new Error('oops 884213');
      },
    });
    expect(await plain('a@b.c', { text: 'x', amount: 1 }).catch((e: unknown) => e)).toBeInstanceOf(
      ApprovalPendingError,
    );
    expect(await throwing('a@b.c', { text: 'y', amount: 2 }).catch((e: unknown) => e)).toBeInstanceOf(
      ApprovalPendingError,
    );
    expect(server.list().map((a) => a.description)).toEqual([undefined, undefined]);
    expect(server.receivedText()).not.toContain('884213');
  });

  it('a long description is cut to 500 characters', async () => {
    const send = guarded({ wait: false, describe: () => '€'.repeat(2000) });
    await send('a@b.c', { text: 'x', amount: 1 }).catch((e: unknown) => e);
    expect(server.list()[0].description).toBe('€'.repeat(500));
  });
});
