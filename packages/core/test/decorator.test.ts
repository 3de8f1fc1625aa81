import {
  Agent,
  ConfigurationError,
  PermissionDeniedError,
  PermissionError,
  Sudo,
  configure,
  sudo,
} from '@agentsudo/core';
import { captureEvents } from './helpers';

class CustomerService {
  static created = 0;
  constructor(private readonly prefix = 'c') {
    CustomerService.created++;
  }

  @Sudo('read:customers')
  getCustomer(id: string) {
    return { id: `${this.prefix}-${id}`, name: 'John Doe' };
  }

  @Sudo('write:refunds')
  async processRefund(orderId: string, amount: number) {
    await Promise.resolve();
    return `refunded ${amount} on ${orderId}`;
  }

  @Sudo('admin:reports')
  static dailyReport() {
    return `report by ${this.name}`;
  }
}

class PremiumService extends CustomerService {
  // Overridden with its own, stricter scope.
  @Sudo('read:premium')
  override getCustomer(id: string) {
    return { ...super.getCustomer(id), premium: true };
  }
}

class AuditedService extends CustomerService {}

const reader = new Agent({ name: 'Reader', scopes: ['read:customers'] });
const refunder = new Agent({ name: 'Refunder', scopes: ['write:refunds', 'admin:*'] });

afterEach(() => configure({ transports: [] }));

describe('@Sudo on class methods (experimentalDecorators)', () => {
  it('runs a sync method for an agent with the scope, keeping this and arguments', () => {
    expect(reader.startSession(() => new CustomerService('x').getCustomer('1'))).toEqual({
      id: 'x-1',
      name: 'John Doe',
    });
  });

  it('throws PermissionDeniedError, a PermissionError, naming the missing scope and what the agent has', async () => {
    let caught: unknown;
    await reader.startSession(async () => {
      try {
        await new CustomerService().processRefund('o-1', 5);
      } catch (e) {
        caught = e;
      }
    });
    expect(caught).toBeInstanceOf(PermissionDeniedError);
    expect(caught).toBeInstanceOf(PermissionError);
    const err = caught as PermissionDeniedError;
    expect(err.agentName).toBe('Reader');
    expect(err.scope).toBe('write:refunds');
    expect(err.functionName).toBe('CustomerService.processRefund');
    expect(err.message).toMatch(/lacks scope 'write:refunds'/);
    expect(err.message).toMatch(/It has: read:customers/);
  });

  it('protects async methods: allowed resolves, denied rejects (never a synchronous throw)', async () => {
    await expect(refunder.startSession(() => new CustomerService().processRefund('o-1', 5))).resolves.toBe(
      'refunded 5 on o-1',
    );
    const denied = reader.startSession(() => new CustomerService().processRefund('o-1', 5));
    expect(denied).toBeInstanceOf(Promise);
    await expect(denied).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('protects static methods, named ClassName.method', () => {
    const events = captureEvents();
    expect(refunder.startSession(() => CustomerService.dailyReport())).toBe('report by CustomerService');
    expect(() => reader.startSession(() => CustomerService.dailyReport())).toThrow(/admin:reports/);
    expect(events.events.filter((e) => e.scope === 'admin:reports').map((e) => e.functionName)).toEqual([
      'CustomerService.dailyReport',
      'CustomerService.dailyReport',
    ]);
  });

  it('applies the overriding method’s scope, and the base scope to super calls', () => {
    const both = new Agent({ name: 'Both', scopes: ['read:customers', 'read:premium'] });
    expect(both.startSession(() => new PremiumService().getCustomer('1'))).toMatchObject({ premium: true });
    // Reader has the base scope but not the override's.
    expect(() => reader.startSession(() => new PremiumService().getCustomer('1'))).toThrow(/read:premium/);
    // read:premium alone fails on the inherited super call, which needs read:customers.
    const premiumOnly = new Agent({ name: 'PremiumOnly', scopes: ['read:premium'] });
    expect(() => premiumOnly.startSession(() => new PremiumService().getCustomer('1'))).toThrow(
      /'read:customers' required by CustomerService.getCustomer/,
    );
  });

  it('keeps protecting inherited methods on subclasses', async () => {
    await expect(reader.startSession(() => new AuditedService().processRefund('o', 1))).rejects.toThrow(
      PermissionDeniedError,
    );
  });

  it('works on instances a DI container creates', () => {
    // A minimal container: builds by reflection, as NestJS does.
    const container = new Map<Function, unknown>();
    const resolve = <T>(ctor: new () => T): T => {
      if (!container.has(ctor)) container.set(ctor, Reflect.construct(ctor, []));
      return container.get(ctor) as T;
    };
    const service = resolve(CustomerService);
    expect(reader.startSession(() => service.getCustomer('9')).name).toBe('John Doe');
    expect(resolve(CustomerService)).toBe(service);
  });

  it('keeps the method name and arity', () => {
    expect(CustomerService.prototype.getCustomer.name).toBe('getCustomer');
    expect(CustomerService.prototype.processRefund.length).toBe(2);
  });

  it('rejects a bad scope or bad options when the class is defined', () => {
    expect(() => Sudo('')).toThrow(ConfigurationError);
    expect(() => Sudo('read:x', { onDeny: 'ignore' as never })).toThrow(/onDeny "ignore" is not valid/);
  });
});

describe('sudo() for plain and arrow functions', () => {
  it('wraps arrow functions and named functions', async () => {
    const send = sudo('send:email', async (to: string) => `sent to ${to}`);
    function lookup(id: string) {
      return `order ${id}`;
    }
    const guardedLookup = sudo('read:orders', lookup);
    const mailer = new Agent({ name: 'Mailer', scopes: ['send:email'] });
    await expect(mailer.startSession(() => send('a@b.c'))).resolves.toBe('sent to a@b.c');
    expect(() => mailer.startSession(() => guardedLookup('1'))).toThrow(/'read:orders' required by lookup/);
  });

  it('uses options.name for events and errors', () => {
    const f = sudo('x:y', () => 1, { name: 'tools.f' });
    expect(() => reader.startSession(() => f())).toThrow(/required by tools\.f/);
  });

  it('rejects a non-function', () => {
    expect(() => sudo('x:y', 'nope' as never)).toThrow(/fn must be a function, got string/);
  });
});
