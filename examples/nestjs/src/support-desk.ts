import { Body, Controller, Get, Injectable, Module, Param, Post, type DynamicModule } from '@nestjs/common';
import { Agent, Sudo } from '@agentsudo/core';
import {
  AgentSudoModule,
  CurrentAgent,
  Public,
  RequireScope,
  type AgentSudoModuleOptions,
} from '@agentsudo/nestjs';

/** The tools agents call. `@Sudo` guards them wherever they are called from. */
@Injectable()
export class CustomerService {
  private readonly customers = new Map([
    ['c-42', { id: 'c-42', name: 'John Doe', plan: 'pro' }],
    ['c-43', { id: 'c-43', name: 'Ada Lovelace', plan: 'team' }],
  ]);

  @Sudo('read:customers')
  async getCustomer(id: string) {
    return this.customers.get(id) ?? null;
  }
}

@Injectable()
export class RefundService {
  @Sudo('write:refunds')
  async processRefund(orderId: string, amount: number) {
    return { orderId, amount, status: 'refunded' };
  }
}

@Controller('customers')
@RequireScope('read:customers')
export class CustomersController {
  constructor(private readonly customers: CustomerService) {}

  @Get(':id')
  get(@Param('id') id: string) {
    return this.customers.getCustomer(id);
  }
}

@Controller('refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundService) {}

  /** Checked twice: here by @RequireScope, and again by the service's @Sudo. */
  @Post()
  @RequireScope('write:refunds')
  create(@Body() body: { orderId: string; amount: number }, @CurrentAgent() agent: Agent) {
    return this.refunds.processRefund(body.orderId, body.amount).then((r) => ({ ...r, by: agent.name }));
  }
}

/** Needs no agent: load balancers call it without a token. */
@Controller('health')
@Public()
export class HealthController {
  @Get()
  health() {
    return { ok: true };
  }
}

/** The support desk, with AgentSudo configured by the caller (agents, transports). */
@Module({})
export class SupportDeskModule {
  static register(agentSudo: AgentSudoModuleOptions): DynamicModule {
    return {
      module: SupportDeskModule,
      imports: [AgentSudoModule.forRoot(agentSudo)],
      controllers: [CustomersController, RefundsController, HealthController],
      providers: [CustomerService, RefundService],
    };
  }
}
