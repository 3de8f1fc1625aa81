import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Agent, PermissionError, Sudo, configureFileLog, readAuditLog, shutdown } from 'agentsudo';

/** Tools two agents may call. */
class SupportTools {
  @Sudo('read:customers')
  getCustomer(id: string): { id: string; name: string } {
    return { id, name: 'John Doe' };
  }

  @Sudo('write:refunds')
  processRefund(orderId: string, amount: number): string {
    return `refunded ${amount} on ${orderId}`;
  }

  // Audit mode: the call goes through, the missing scope is recorded as a violation.
  @Sudo('write:notes', { onDeny: 'log' })
  addNote(customerId: string, note: string): string {
    return `${customerId}: ${note}`;
  }
}

async function main(): Promise<void> {
  // The log is appended to across runs (never truncated); pass another path as argv[2].
  const filename = process.argv[2] ?? join(__dirname, '..', '.agentsudo', 'audit.jsonl');
  const runStartedAt = new Date().toISOString();
  configureFileLog({ filename, maxSize: 10 * 1024 * 1024, maxFiles: 5 });

  const tools = new SupportTools();
  const support = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
  const billing = new Agent({ name: 'BillingBot', scopes: ['read:customers', 'write:refunds'] });

  support.startSession(() => {
    tools.getCustomer('c-42');
    tools.addNote('c-42', 'asked about a refund');
    try {
      tools.processRefund('o-7', 120);
    } catch (e) {
      if (!(e instanceof PermissionError)) throw e;
    }
  });
  billing.startSession(() => tools.processRefund('o-7', 120));

  // Reading back in code: every refusal of this run.
  const refusals = await readAuditLog(filename, { denied: true, since: runStartedAt });
  console.log(`\n${refusals.length} refusals written to ${filename}:`);
  for (const e of refusals) console.log(`  ${e.agentName} ${e.action} ${e.scope}`);

  // Reading back from the shell: the same file through the agentsudo command.
  const cli = join(dirname(require.resolve('agentsudo/package.json')), 'dist', 'cli.js');
  console.log(`\n$ agentsudo logs ${filename} --since ${runStartedAt}`);
  const run = spawnSync(process.execPath, [cli, 'logs', filename, '--since', runStartedAt], {
    stdio: 'inherit',
  });
  await shutdown();
  process.exitCode = run.status ?? 1;
}

void main();
