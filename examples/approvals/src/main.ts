import {
  Agent,
  ApprovalRefusedError,
  ApprovalTimeoutError,
  PermissionDeniedError,
  Sudo,
  closeApprovalStreams,
  cloudApproval,
  configureCloud,
  shutdownCloud,
} from 'agentsudo';

// The server and key of the dashboard: AGENTSUDO_ENDPOINT (default http://127.0.0.1:4319)
// and AGENTSUDO_API_KEY, the project's ingest key. cloudApproval() asks that server.
const cloud = configureCloud({ apiKey: process.env.AGENTSUDO_API_KEY ?? 'as_local_demo_key' });
/** How long the refund waits for a person (ms); AGENTSUDO_APPROVAL_TIMEOUT_MS to change it. */
const timeoutMs = Number(process.env.AGENTSUDO_APPROVAL_TIMEOUT_MS ?? 120_000);

/** Payments an LLM agent may call as a tool. A refund needs a person's approval. */
export class Payments {
  @Sudo('write:refunds', {
    onDeny: cloudApproval({
      timeoutMs,
      // The only text about the call the server sees: the arguments never leave this process.
      describe: (orderId: string, amount: number) => `Refund ${amount} EUR on order ${orderId}`,
    }),
  })
  async refund(orderId: string, amount: number): Promise<string> {
    return `refunded ${amount} EUR on order ${orderId}`;
  }
}

const refundBot = new Agent({ name: 'RefundBot', scopes: ['read:orders'] });
const payments = new Payments();

async function main(): Promise<void> {
  console.log(
    `⏳ RefundBot asks to refund 120 EUR on order o-7: approve or deny it in the dashboard ` +
      `(${cloud.config.endpoint}, Approvals), within ${Math.round(timeoutMs / 1000)} s`,
  );
  try {
    const result = await refundBot.startSession(() => payments.refund('o-7', 120));
    console.log(`✅ approved: ${result}`);
  } catch (e) {
    if (!(e instanceof PermissionDeniedError)) throw e;
    if (e.cause instanceof ApprovalRefusedError) console.log(`❌ ${e.cause.message}`);
    else if (e.cause instanceof ApprovalTimeoutError) console.log(`⌛ ${e.cause.message}`);
    else console.log(`❌ refused: ${(e.cause as Error | undefined)?.message ?? e.message}`);
  } finally {
    closeApprovalStreams();
    await shutdownCloud(3000);
  }
}

void main();
