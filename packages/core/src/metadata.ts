import 'reflect-metadata';
import type { OnDeny, SudoOptions } from './options';

/**
 * reflect-metadata key under which `@Sudo` records `{ scope, options }`, on the
 * decorated function itself and (legacy decorators) on `(prototype, methodName)`.
 * The NestJS guard reads it through `Reflector`.
 *
 * @example
 * ```ts
 * Reflect.getMetadata(SUDO_METADATA_KEY, CustomerService.prototype.getCustomer); // { scope: 'read:customers', … }
 * ```
 */
export const SUDO_METADATA_KEY = 'agentsudo:sudo';

/**
 * What `@Sudo` records.
 *
 * @example
 * ```ts
 * const meta: SudoMetadata | undefined = getSudoMetadata(CustomerService, 'getCustomer');
 * ```
 */
export interface SudoMetadata {
  scope: string;
  options: SudoOptions;
}

/**
 * One protected method or function, as listed by {@link listProtectedMethods}.
 *
 * @example
 * ```ts
 * listProtectedMethods(CustomerService).map((m) => `${m.functionName} needs ${m.scope}`);
 * ```
 */
export interface ProtectedMethod {
  /** Undefined for plain functions, and for TC39-decorated instance methods whose class has no instance yet. */
  className: string | undefined;
  methodName: string;
  functionName: string;
  scope: string;
  onDeny: 'raise' | 'log' | 'approver';
  isStatic: boolean;
}

interface RegistryEntry {
  owner: Function | undefined;
  methodName: string;
  scope: string;
  options: SudoOptions;
  isStatic: boolean;
}

const REGISTRY_KEY = Symbol.for('agentsudo.core.registry.v1');
const holder = globalThis as unknown as Record<symbol, RegistryEntry[] | undefined>;
const registry: RegistryEntry[] = (holder[REGISTRY_KEY] ??= []);

/**
 * @internal Records a protected function; the decorator calls it. Returns the entry so
 * the owner can be filled in later (TC39 decorators learn their class at first use).
 *
 * @example
 * ```ts
 * const entry = registerProtected(wrapped, { methodName: 'refund', scope: 'write:refunds', options: {}, isStatic: false });
 * ```
 */
export function registerProtected(
  fn: Function,
  entry: Omit<RegistryEntry, 'owner'> & { owner?: Function },
  legacyTarget?: object,
): RegistryEntry {
  const meta: SudoMetadata = { scope: entry.scope, options: entry.options };
  Reflect.defineMetadata(SUDO_METADATA_KEY, meta, fn);
  if (legacyTarget) Reflect.defineMetadata(SUDO_METADATA_KEY, meta, legacyTarget, entry.methodName);
  const full: RegistryEntry = { owner: entry.owner, ...entry };
  registry.push(full);
  return full;
}

/**
 * What protects `methodName` of a class, prototype or instance (or a function wrapped
 * by `sudo()` when called with one argument); undefined when it is not protected.
 *
 * @example
 * ```ts
 * getSudoMetadata(CustomerService, 'processRefund')?.scope; // 'write:refunds'
 * getSudoMetadata(refund); // for const refund = sudo('write:refunds', fn)
 * ```
 */
export function getSudoMetadata(
  target: object | Function,
  methodName?: string | symbol,
): SudoMetadata | undefined {
  if (methodName === undefined)
    return Reflect.getMetadata(SUDO_METADATA_KEY, target) as SudoMetadata | undefined;
  for (const holderObj of candidates(target)) {
    const desc = findDescriptor(holderObj, methodName);
    if (desc && typeof desc.value === 'function') {
      const meta = Reflect.getMetadata(SUDO_METADATA_KEY, desc.value) as SudoMetadata | undefined;
      if (meta) return meta;
    }
  }
  return undefined;
}

/**
 * Lists protected methods: of one class (or instance), including inherited and static
 * ones, or, with no argument, everything decorated so far in this process.
 *
 * @example
 * ```ts
 * console.table(listProtectedMethods(CustomerService));
 * ```
 */
export function listProtectedMethods(classOrInstance?: object | Function): ProtectedMethod[] {
  if (classOrInstance === undefined) return registry.map(toProtectedMethod);
  const ctor = typeof classOrInstance === 'function' ? classOrInstance : classOrInstance.constructor;
  const out: ProtectedMethod[] = [];
  const seen = new Set<string>();
  const collect = (start: object | null, isStatic: boolean): void => {
    for (
      let obj = start;
      obj && obj !== Object.prototype && obj !== Function.prototype;
      obj = Object.getPrototypeOf(obj)
    ) {
      for (const key of Object.getOwnPropertyNames(obj)) {
        const id = `${isStatic ? 'static ' : ''}${key}`;
        if (key === 'constructor' || seen.has(id)) continue;
        seen.add(id);
        const value = Object.getOwnPropertyDescriptor(obj, key)?.value;
        const meta =
          typeof value === 'function'
            ? (Reflect.getMetadata(SUDO_METADATA_KEY, value) as SudoMetadata)
            : undefined;
        if (!meta) continue;
        const owner = isStatic ? (obj as Function) : (obj as { constructor: Function }).constructor;
        out.push(
          toProtectedMethod({ owner, methodName: key, scope: meta.scope, options: meta.options, isStatic }),
        );
      }
    }
  };
  collect(ctor.prototype, false);
  collect(ctor, true);
  return out;
}

/**
 * `ClassName.method`, or the bare name for plain functions.
 *
 * @example
 * ```ts
 * qualifiedName(CustomerService, 'getCustomer'); // 'CustomerService.getCustomer'
 * ```
 */
export function qualifiedName(owner: Function | undefined, methodName: string): string {
  return owner && owner.name ? `${owner.name}.${methodName}` : methodName;
}

function toProtectedMethod(e: RegistryEntry): ProtectedMethod {
  return {
    className: e.owner?.name || undefined,
    methodName: e.methodName,
    functionName: e.options.name ?? qualifiedName(e.owner, e.methodName),
    scope: e.scope,
    onDeny: onDenyKind(e.options.onDeny),
    isStatic: e.isStatic,
  };
}

function onDenyKind(onDeny: OnDeny | undefined): ProtectedMethod['onDeny'] {
  return typeof onDeny === 'function' ? 'approver' : (onDeny ?? 'raise');
}

function candidates(target: object | Function): object[] {
  if (typeof target === 'function')
    return [target, (target as { prototype?: object }).prototype].filter(Boolean) as object[];
  return [target];
}

function findDescriptor(start: object, key: string | symbol): PropertyDescriptor | undefined {
  for (let obj: object | null = start; obj; obj = Object.getPrototypeOf(obj)) {
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    if (desc) return desc;
  }
  return undefined;
}
