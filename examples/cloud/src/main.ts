import { Agent, PermissionError, Sudo, configureCloud, getCloudStats, shutdownCloud } from 'agentsudo';

// Cloud mode: every check below is sent to the dashboard. The key may also come from
// AGENTSUDO_API_KEY, the address from AGENTSUDO_ENDPOINT (default http://127.0.0.1:4319).
const cloud = configureCloud({ apiKey: process.env.AGENTSUDO_API_KEY ?? 'as_local_demo_key' });

/** A service whose methods an LLM agent may call as tools. */
export class CustomerService {
  @Sudo('read:customers')
  getCustomer(id: string): { id: string; name: string } {
    return { id, name: 'John Doe' };
  }

  @Sudo('write:refunds')
  processRefund(orderId: string, amount: number): string {
    return `refunded ${amount} on ${orderId}`;
  }
}

const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
const service = new CustomerService();

supportBot.startSession(() => {
  const customer = service.getCustomer('c-42');
  console.log(`✅ allowed: getCustomer returned ${JSON.stringify(customer)}`);

  try {
    service.processRefund('o-7', 120);
  } catch (e) {
    if (e instanceof PermissionError) {
      console.log(`❌ denied: ${e.message}`);
    } else {
      throw e;
    }
  }
});

async function finish(): Promise<void> {
  // Deliver what is queued (a short script would otherwise end before the next batch).
  const delivered = await shutdownCloud(3000);
  const { sent, spooled, authRejected } = getCloudStats();
  const { endpoint, spoolDir } = cloud.config;
  if (delivered) {
    console.log(`☁️  ${sent} events sent to ${endpoint}`);
  } else if (authRejected) {
    console.log(`☁️  ${endpoint} rejected the API key: set AGENTSUDO_API_KEY to a key from the dashboard`);
  } else {
    console.log(
      `☁️  the dashboard at ${endpoint} did not answer: ${spooled} events kept in ${String(spoolDir)} for the next run`,
    );
  }
}

void finish();
