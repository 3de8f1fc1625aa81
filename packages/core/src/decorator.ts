import { assertValidOptions, type SudoOptions } from './options';
import { assertValidScope } from './scopes';
import { protect } from './check';
import { qualifiedName, registerProtected } from './metadata';

/**
 * The decorator `@Sudo` returns. It has both signatures, so the same `@Sudo(...)` compiles
 * under `experimentalDecorators` (NestJS style) and under TC39 standard decorators.
 *
 * @example
 * ```ts
 * const readCustomers: SudoDecorator = Sudo('read:customers');
 * class CustomerService {
 *   @readCustomers getCustomer(id: string) { return { id }; }
 * }
 * ```
 */
export interface SudoDecorator {
  /** TC39 standard decorators (TypeScript 5 default). */
  <F extends (this: any, ...args: any[]) => any>(value: F, context: ClassMethodDecoratorContext<any, F>): F;
  /** `experimentalDecorators` (legacy, NestJS). */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Protects a method with a scope. Works on sync and async, instance and static methods,
 * in both decorator modes, on instances made by hand or by a DI container.
 *
 * @example
 * ```ts
 * class CustomerService {
 *   @Sudo('read:customers')
 *   getCustomer(id: string) { return { id, name: 'John Doe' }; }
 *
 *   @Sudo('write:refunds', { onDeny: 'log' }) // audit mode: logs, then runs
 *   processRefund(orderId: string) { … }
 * }
 * ```
 */
export function Sudo(scope: string, options: SudoOptions = {}): SudoDecorator {
  assertValidScope(scope, `@Sudo(${JSON.stringify(scope)})`);
  assertValidOptions(options, `@Sudo(${JSON.stringify(scope)})`);
  const decorator = (targetOrValue: any, contextOrKey: any, descriptor?: PropertyDescriptor): any => {
    if (typeof contextOrKey === 'object' && contextOrKey !== null && 'kind' in contextOrKey) {
      return decorateStandard(targetOrValue, contextOrKey as ClassMethodDecoratorContext, scope, options);
    }
    return decorateLegacy(targetOrValue, contextOrKey, descriptor, scope, options);
  };
  return decorator as SudoDecorator;
}

/**
 * Protects a plain or arrow function with a scope; returns the checked function.
 *
 * @example
 * ```ts
 * // An inline arrow has no name: give one, or events and errors say `anonymous`
 * // (said once on stderr).
 * const sendEmail = sudo('send:email', async (to: string) => mailer.send(to), { name: 'sendEmail' });
 * await agent.startSession(() => sendEmail('a@b.c'));
 * ```
 */
export function sudo<F extends (...args: any[]) => any>(scope: string, fn: F, options: SudoOptions = {}): F {
  assertValidScope(scope, `sudo(${JSON.stringify(scope)}, fn)`);
  assertValidOptions(options, `sudo(${JSON.stringify(scope)}, fn)`);
  if (typeof fn !== 'function') {
    throw new TypeError(`sudo(${JSON.stringify(scope)}, fn): fn must be a function, got ${typeof fn}.`);
  }
  const functionName = options.name ?? (fn.name || anonymousName(scope));
  const wrapped = protect(fn, scope, options, () => functionName);
  registerProtected(wrapped, { methodName: functionName, scope, options, isStatic: false });
  return wrapped;
}

/** Whether the fallback to `anonymous` has been reported on stderr (once per process). */
let anonymousReported = false;

/**
 * The name of a function that has none (an inline arrow): `anonymous`, said once on stderr,
 * since every such tool would otherwise be indistinguishable in events, errors and logs.
 */
function anonymousName(scope: string): string {
  if (!anonymousReported) {
    anonymousReported = true;
    try {
      process.stderr.write(
        `agentsudo: sudo(${JSON.stringify(scope)}, fn) got a function without a name, so its events and ` +
          `errors call it 'anonymous'; pass { name: 'sendEmail' } as the third argument (further unnamed ` +
          `functions are not reported).\n`,
      );
    } catch {
      // stderr itself is gone; nothing left to tell.
    }
  }
  return 'anonymous';
}

function decorateLegacy(
  target: any,
  key: string | symbol,
  descriptor: PropertyDescriptor | undefined,
  scope: string,
  options: SudoOptions,
): PropertyDescriptor {
  const methodName = String(key);
  if (!descriptor || typeof descriptor.value !== 'function') {
    throw new TypeError(
      `@Sudo(${JSON.stringify(scope)}) can decorate methods only; '${methodName}' is not a method.`,
    );
  }
  const isStatic = typeof target === 'function';
  const owner: Function = isStatic ? target : target.constructor;
  const functionName = options.name ?? qualifiedName(owner, methodName);
  const wrapped = protect(descriptor.value, scope, options, () => functionName);
  registerProtected(wrapped, { owner, methodName, scope, options, isStatic }, target);
  return { ...descriptor, value: wrapped };
}

function decorateStandard(
  value: Function,
  context: ClassMethodDecoratorContext,
  scope: string,
  options: SudoOptions,
): Function {
  const methodName = String(context.name);
  if (context.kind !== 'method') {
    throw new TypeError(
      `@Sudo(${JSON.stringify(scope)}) can decorate methods only; '${methodName}' is a ${context.kind}.`,
    );
  }
  // The class is not known while a TC39 method decorator runs: learn it from the first
  // instance (or, for static methods, from the class initializer), then keep it.
  let functionName = options.name;
  const wrapped: Function = protect(
    value as (...a: any[]) => any,
    scope,
    options,
    (thisArg) => functionName ?? resolveName(thisArg),
  );
  const entry = registerProtected(wrapped, { methodName, scope, options, isStatic: context.static });
  context.addInitializer(function (this: unknown) {
    if (entry.owner === undefined) {
      entry.owner = ownerOf(this, wrapped, context.static);
      functionName ??= qualifiedName(entry.owner, methodName);
    }
  });
  function resolveName(thisArg: unknown): string {
    entry.owner ??= ownerOf(thisArg, wrapped, context.static);
    return (functionName = qualifiedName(entry.owner, methodName));
  }
  return wrapped;
}

/** The class whose own property (static) or prototype holds `fn`. */
function ownerOf(thisArg: unknown, fn: Function, isStatic: boolean): Function | undefined {
  if (thisArg === null || thisArg === undefined) return undefined;
  let obj: any = isStatic ? thisArg : Object.getPrototypeOf(thisArg);
  for (; obj; obj = Object.getPrototypeOf(obj)) {
    for (const key of Object.getOwnPropertyNames(obj)) {
      if (Object.getOwnPropertyDescriptor(obj, key)?.value === fn) return isStatic ? obj : obj.constructor;
    }
  }
  return isStatic ? (thisArg as Function) : (thisArg as object).constructor;
}
