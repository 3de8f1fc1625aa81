import { Agent, PermissionError, Sudo } from '@agentsudo/core';

/** The quickstart's service: tools an LLM agent may call, each with the scope it needs. */
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

/**
 * The quickstart: SupportBot may read customers but not refund, so one check is allowed
 * and one denied. Returns the lines it would print.
 */
export function runQuickstart(): string[] {
  const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
  const service = new CustomerService();
  const lines: string[] = [];
  supportBot.startSession(() => {
    lines.push(`✅ allowed: getCustomer returned ${JSON.stringify(service.getCustomer('c-42'))}`);
    try {
      service.processRefund('o-7', 120);
    } catch (e) {
      if (!(e instanceof PermissionError)) throw e;
      lines.push(`❌ denied: ${e.message}`);
    }
  });
  return lines;
}
