/**
 * One registry mechanism for every kind of thing tintem can be extended with (students, methods, teachers): named
 * entries, each defined in its own file, registered with one line; lookups by name fail with one line naming the
 * option and every registered name. Holds plain data and functions only, so a registry loads nothing by itself
 * (entries import their implementations lazily where those need TensorFlow).
 */
import { UserError } from './errors.js';

export interface Registry<E extends { name: string }> {
  /** What an entry is called in messages ('method', 'student', 'teacher kind'). */
  readonly what: string;
  /** Adds an entry; a duplicate or badly formed name is a programming error (Error, not UserError). */
  register(entry: E): E;
  /** Removes an entry (tests that register an example clean up after themselves). */
  unregister(name: string): void;
  /** The entry of that name, or a one-line UserError: "<where>: unknown <what> 'y' (expected one of a, b)". */
  get(name: unknown, where: string): E;
  find(name: unknown): E | undefined;
  has(name: unknown): name is string;
  /** Entries in registration order. */
  entries(): E[];
  names(): string[];
}

export interface RegistryOptions<E> {
  /** Allowed names (default: lower-case letters, digits and '-'). */
  namePattern?: RegExp;
  /** Further checks of an entry before it is added (throw an Error). */
  check?(entry: E): void;
}

export function createRegistry<E extends { name: string }>(what: string, opts: RegistryOptions<E> = {}): Registry<E> {
  const map = new Map<string, E>();
  const pattern = opts.namePattern ?? /^[a-z][a-z0-9-]*$/;
  const registry: Registry<E> = {
    what,
    register(entry) {
      if (!pattern.test(entry.name)) throw new Error(`register ${what}: name '${entry.name}' must match ${pattern}`);
      if (map.has(entry.name)) throw new Error(`register ${what}: '${entry.name}' is already registered`);
      opts.check?.(entry);
      map.set(entry.name, entry);
      return entry;
    },
    unregister(name) {
      map.delete(name);
    },
    get(name, where) {
      const entry = registry.find(name);
      if (!entry) throw new UserError(`${where}: unknown ${what} '${String(typeof name === 'string' ? name : JSON.stringify(name)).slice(0, 60)}' (expected one of ${registry.names().join(', ')})`);
      return entry;
    },
    find(name) {
      return typeof name === 'string' ? map.get(name) : undefined;
    },
    has(name): name is string {
      return typeof name === 'string' && map.has(name);
    },
    entries: () => [...map.values()],
    names: () => [...map.keys()],
  };
  return registry;
}
