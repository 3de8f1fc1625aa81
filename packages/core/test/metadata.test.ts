import { SUDO_METADATA_KEY, Sudo, getSudoMetadata, listProtectedMethods, sudo } from '@agentsudo/core';

const approver = () => true;

class BillingService {
  @Sudo('read:invoices')
  list() {
    return [];
  }

  @Sudo('write:invoices', { onDeny: 'log' })
  void(id: string) {
    return id;
  }

  @Sudo('write:credits', { onDeny: approver })
  credit() {
    return 1;
  }

  unprotected() {
    return 0;
  }
}

const exportInvoices = sudo('export:invoices', function exportInvoices() {
  return 'csv';
});

describe('protection metadata', () => {
  it('is recorded under SUDO_METADATA_KEY on the method and on (prototype, name)', () => {
    expect(Reflect.getMetadata(SUDO_METADATA_KEY, BillingService.prototype.list)).toEqual({
      scope: 'read:invoices',
      options: {},
    });
    expect(Reflect.getMetadata(SUDO_METADATA_KEY, BillingService.prototype, 'list')).toEqual({
      scope: 'read:invoices',
      options: {},
    });
  });

  it('is read by getSudoMetadata from a class, an instance or a wrapped function', () => {
    expect(getSudoMetadata(BillingService, 'void')).toEqual({
      scope: 'write:invoices',
      options: { onDeny: 'log' },
    });
    expect(getSudoMetadata(new BillingService(), 'list')?.scope).toBe('read:invoices');
    expect(getSudoMetadata(BillingService, 'unprotected')).toBeUndefined();
    expect(getSudoMetadata(BillingService, 'missing')).toBeUndefined();
    expect(getSudoMetadata(exportInvoices)?.scope).toBe('export:invoices');
  });

  it('lists what protects a class', () => {
    expect(listProtectedMethods(BillingService)).toEqual([
      {
        className: 'BillingService',
        methodName: 'list',
        functionName: 'BillingService.list',
        scope: 'read:invoices',
        onDeny: 'raise',
        isStatic: false,
      },
      expect.objectContaining({ methodName: 'void', onDeny: 'log' }),
      expect.objectContaining({ methodName: 'credit', onDeny: 'approver' }),
    ]);
  });

  it('lists everything protected in the process, plain functions included', () => {
    const all = listProtectedMethods().map((m) => `${m.functionName}=${m.scope}`);
    expect(all).toEqual(
      expect.arrayContaining([
        'BillingService.list=read:invoices',
        'BillingService.void=write:invoices',
        'exportInvoices=export:invoices',
      ]),
    );
  });
});
