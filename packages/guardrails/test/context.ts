import { Agent, type GuardContext } from '@agentsudo/core';

/** Who is calling: what every guard is handed besides the arguments. */
export const ctx: GuardContext = {
  agent: new Agent({ name: 'RefundBot', scopes: ['write:refunds'] }),
  scope: 'write:refunds',
  functionName: 'Payments.refund',
};
