import { Agent, PermissionError, Sudo } from 'agentsudo';

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
