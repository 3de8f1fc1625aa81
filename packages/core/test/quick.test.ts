import { Agent, Sudo, PermissionError, PermissionDeniedError } from '@agentsudo/core';

class CustomerService {
  @Sudo('read:customers') getCustomer(id: string) {
    return { id, name: 'John Doe' };
  }
  @Sudo('write:refunds') processRefund(id: string) {
    return id;
  }
}

test('smoke', () => {
  const a = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
  const s = new CustomerService();
  a.startSession(() => {
    expect(s.getCustomer('1')).toEqual({ id: '1', name: 'John Doe' });
    expect(() => s.processRefund('x')).toThrow(PermissionDeniedError);
    try {
      s.processRefund('x');
    } catch (e) {
      expect(e).toBeInstanceOf(PermissionError);
      console.log((e as Error).message);
    }
  });
});
