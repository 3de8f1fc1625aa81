import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import * as core from '@agentsudo/core';
import { Agent, PermissionDeniedError, getSudoMetadata, listProtectedMethods } from '@agentsudo/core';
import { captureEvents } from './helpers';

/**
 * The same source, compiled the two ways users compile it: experimentalDecorators
 * (NestJS) and TC39 standard decorators (the TypeScript 5 default).
 */
const source = readFileSync(join(__dirname, 'fixtures', 'decorated-service.ts.txt'), 'utf8');

function load(experimentalDecorators: boolean) {
  const { outputText, diagnostics } = ts.transpileModule(source, {
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      experimentalDecorators,
      emitDecoratorMetadata: experimentalDecorators,
    },
  });
  expect(diagnostics ?? []).toEqual([]);
  // The standard mode emits __esDecorate; the legacy mode emits __decorate.
  expect(outputText).toContain(experimentalDecorators ? '__decorate(' : '__esDecorate(');
  const module = { exports: {} as Record<string, any> };
  const requireCore = (id: string) => {
    if (id === '@agentsudo/core') return core;
    if (id === 'reflect-metadata') return require('reflect-metadata');
    throw new Error(`unexpected import ${id}`);
  };
  new Function('require', 'module', 'exports', outputText)(requireCore, module, module.exports);
  return module.exports as { CustomerService: any; VipService: any };
}

afterEach(() => core.configure({ transports: [] }));

describe.each([
  ['experimentalDecorators', true],
  ['TC39 standard decorators', false],
])('@Sudo compiled with %s', (_mode, legacy) => {
  const { CustomerService, VipService } = load(legacy);
  const reader = new Agent({ name: 'Reader', scopes: ['read:customers', 'read:vip'] });
  const admin = new Agent({ name: 'Admin', scopes: ['admin:*', 'write:refunds'] });

  it('allows a granted call and keeps `this`', () => {
    expect(reader.startSession(() => new CustomerService().getCustomer('1'))).toEqual({
      id: '1',
      name: 'John Doe',
      via: 'CustomerService',
    });
  });

  it('denies an async method with a rejected promise naming ClassName.method', async () => {
    const result = reader.startSession(() => new CustomerService().processRefund('o-1'));
    await expect(result).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(result).rejects.toMatchObject({ functionName: 'CustomerService.processRefund' });
    await expect(admin.startSession(() => new CustomerService().processRefund('o-1'))).resolves.toBe(
      'refunded o-1',
    );
  });

  it('protects static methods', () => {
    expect(admin.startSession(() => CustomerService.report())).toBe('report of CustomerService');
    expect(() => reader.startSession(() => CustomerService.report())).toThrow(
      /'admin:reports' required by CustomerService\.report/,
    );
  });

  it('checks both the override and the inherited super call', () => {
    const events = captureEvents((action) => action === 'permission_check');
    expect(reader.startSession(() => new VipService().getCustomer('2'))).toMatchObject({
      vip: true,
      via: 'VipService',
    });
    expect(events.events.map((e) => `${e.functionName}:${e.scope}`)).toEqual([
      'VipService.getCustomer:read:vip',
      'CustomerService.getCustomer:read:customers',
    ]);
  });

  it('records metadata that getSudoMetadata and listProtectedMethods read', () => {
    expect(getSudoMetadata(CustomerService, 'getCustomer')).toEqual({ scope: 'read:customers', options: {} });
    expect(getSudoMetadata(new VipService(), 'getCustomer')?.scope).toBe('read:vip');
    expect(getSudoMetadata(CustomerService, 'report')?.scope).toBe('admin:reports');
    const listed = listProtectedMethods(VipService).map(
      (m) => `${m.isStatic ? 'static ' : ''}${m.functionName}=${m.scope}`,
    );
    expect(listed.sort()).toEqual(
      [
        'VipService.getCustomer=read:vip',
        'CustomerService.processRefund=write:refunds',
        'static CustomerService.report=admin:reports',
      ].sort(),
    );
  });
});
