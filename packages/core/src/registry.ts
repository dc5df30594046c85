/**
 * The typed component registry.
 *
 * Packages declare what they register by augmenting `ComponentTypes`, keyed
 * "kind:name", which is what lets `create('quantizer', 'lfq', { ... })` infer
 * the config type per name at compile time:
 *
 *   declare module '@zoo/core' {
 *     interface ComponentTypes {
 *       'quantizer:lfq': { config: LFQConfig; instance: LFQ };
 *     }
 *   }
 *   register('quantizer', 'lfq', (cfg) => new LFQ(cfg), { schema: lfqSchema });
 *
 * Configs are validated at run time with the zod schema given at registration
 * (defaults live in the schema), so a bad value names the field, the value and
 * what is allowed; a key the schema does not declare is an error too, naming
 * the nearest valid key (see util/unknown-keys.ts).
 */
import { z } from 'zod';
import { describeUnknownKey, unknownKeys } from './util/unknown-keys.js';

export const COMPONENT_KINDS = [
  'encoder',
  'decoder',
  'quantizer',
  'discriminator',
  'loss',
  'dataset',
  'metric',
] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

/** Augmented by each package: `'kind:name': { config; instance }`. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ComponentTypes {}

type Key<K extends ComponentKind, N extends string> = `${K}:${N}`;
/** Names registered (at the type level) for a kind. */
export type NamesOf<K extends ComponentKind> = {
  [P in keyof ComponentTypes]: P extends `${K}:${infer N}` ? N : never;
}[keyof ComponentTypes];
type Entry<K extends ComponentKind, N extends string> =
  Key<K, N> extends keyof ComponentTypes ? ComponentTypes[Key<K, N>] : never;
export type ConfigOf<K extends ComponentKind, N extends string> =
  Entry<K, N> extends { config: infer C } ? C : never;
export type InstanceOf<K extends ComponentKind, N extends string> =
  Entry<K, N> extends { instance: infer I } ? I : never;

export interface RegistrationSpec<C> {
  /** Run-time validation; fields with `.default()` are optional in `create`. */
  schema: z.ZodType<C>;
  /** One line for `zoo registry list`. */
  description: string;
  /** The paper or repository whose conventions the defaults follow. */
  reference?: string;
}

interface StoredEntry {
  kind: ComponentKind;
  name: string;
  factory: (config: unknown) => unknown;
  spec: RegistrationSpec<unknown>;
}

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

export class UnknownComponentError extends RegistryError {
  constructor(
    readonly kind: ComponentKind,
    readonly requested: string,
    readonly available: readonly string[],
  ) {
    super(
      `unknown ${kind} '${requested}'. Registered ${kind}s: ${available.length ? available.join(', ') : '(none)'}`,
    );
    this.name = 'UnknownComponentError';
  }
}

export class ConfigError extends RegistryError {
  constructor(
    readonly kind: ComponentKind,
    readonly componentName: string,
    readonly issues: readonly { field: string; value: unknown; allowed: string }[],
  ) {
    super(
      `invalid config for ${kind} '${componentName}': ` +
        issues.map((i) => `${i.field} = ${show(i.value)}: ${i.allowed}`).join('; '),
    );
    this.name = 'ConfigError';
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

export class Registry {
  private readonly entries = new Map<string, StoredEntry>();

  register<K extends ComponentKind, N extends string>(
    kind: K,
    name: N,
    factory: (config: ConfigOf<K, N>) => InstanceOf<K, N>,
    spec: RegistrationSpec<ConfigOf<K, N>>,
  ): void {
    if (!COMPONENT_KINDS.includes(kind)) {
      throw new RegistryError(`unknown component kind '${kind}'. Kinds: ${COMPONENT_KINDS.join(', ')}`);
    }
    const key = `${kind}:${name}`;
    if (this.entries.has(key)) throw new RegistryError(`${kind} '${name}' is already registered`);
    this.entries.set(key, {
      kind,
      name,
      factory: factory as (config: unknown) => unknown,
      spec: spec as RegistrationSpec<unknown>,
    });
  }

  /**
   * `register`, unless `kind:name` is already there: what a package's
   * `registerX(registry)` uses, so calling it twice (or from two copies of
   * the package in one process) registers each component once.
   */
  readonly ensure: Registry['register'] = (kind, name, factory, spec) => {
    if (!this.has(kind, name)) this.register(kind, name, factory, spec);
  };

  has(kind: ComponentKind, name: string): boolean {
    return this.entries.has(`${kind}:${name}`);
  }

  names(kind: ComponentKind): string[] {
    return [...this.entries.values()].filter((e) => e.kind === kind).map((e) => e.name).sort();
  }

  list(kind?: ComponentKind): { kind: ComponentKind; name: string; description: string; reference?: string }[] {
    return [...this.entries.values()]
      .filter((e) => !kind || e.kind === kind)
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
      .map((e) => ({
        kind: e.kind,
        name: e.name,
        description: e.spec.description,
        ...(e.spec.reference ? { reference: e.spec.reference } : {}),
      }));
  }

  /** Validates `config` against the registered schema; returns it with defaults filled in. */
  resolveConfig<K extends ComponentKind, N extends NamesOf<K>>(
    kind: K,
    name: N,
    config?: Partial<ConfigOf<K, N>>,
  ): ConfigOf<K, N> {
    return this.resolveDynamic(kind, name, config) as ConfigOf<K, N>;
  }

  resolveDynamic(kind: ComponentKind, name: string, config: unknown = {}): unknown {
    const e = this.lookup(kind, name);
    // zod objects drop keys they do not know; a misspelled option must not silently fall back to its default.
    const unknown = unknownKeys(e.spec.schema, config ?? {});
    if (unknown.length) {
      throw new ConfigError(
        kind,
        name,
        unknown.map((u) => ({ field: [...u.path, u.key].join('.'), value: valueAt(config, [...u.path, u.key]), allowed: describeUnknownKey(u) })),
      );
    }
    const parsed = e.spec.schema.safeParse(config ?? {});
    if (parsed.success) return parsed.data;
    throw new ConfigError(
      kind,
      name,
      parsed.error.issues.map((i) => ({
        field: i.path.length ? i.path.map(String).join('.') : '(config)',
        value: valueAt(config, i.path),
        allowed: i.message,
      })),
    );
  }

  create<K extends ComponentKind, N extends NamesOf<K>>(
    kind: K,
    name: N,
    config?: Partial<ConfigOf<K, N>>,
  ): InstanceOf<K, N> {
    return this.createDynamic(kind, name, config) as InstanceOf<K, N>;
  }

  /** For names only known at run time (CLI flags, JSON configs): checked at run time only. */
  createDynamic(kind: ComponentKind, name: string, config: unknown = {}): unknown {
    const e = this.lookup(kind, name);
    return e.factory(this.resolveDynamic(kind, name, config));
  }

  private lookup(kind: ComponentKind, name: string): StoredEntry {
    if (!COMPONENT_KINDS.includes(kind)) {
      throw new RegistryError(`unknown component kind '${kind}'. Kinds: ${COMPONENT_KINDS.join(', ')}`);
    }
    const e = this.entries.get(`${kind}:${name}`);
    if (!e) throw new UnknownComponentError(kind, name, this.names(kind));
    return e;
  }
}

/** The process-wide registry that packages register into on import. */
export const registry = new Registry();
export const register: Registry['register'] = registry.register.bind(registry);
export const create: Registry['create'] = registry.create.bind(registry);
export const createDynamic: Registry['createDynamic'] = registry.createDynamic.bind(registry);
