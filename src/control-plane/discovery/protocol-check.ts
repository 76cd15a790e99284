// Shape checks of discovery messages, written out by hand.
//
// Why not TypeBox, which the control plane uses for resources: these few messages are the only
// thing a sidecar would need it for, and loading it costs every sidecar ~3.5 MB of memory
// (docs/performance.md, "Memory"). The checks follow the protocol in protocol.ts: required
// fields with their types and bounds; unknown fields are allowed (a newer peer may send more).
// A failed check throws `ShapeError` with the JSON pointer of the first bad field and why.

export class ShapeError extends Error {
  constructor(
    /** JSON pointer of the offending value ("" for the message itself). */
    readonly path: string,
    /** What was expected, for people: "expected an integer ≥ 1". */
    readonly reason: string,
  ) {
    super(`${path || '/'}: ${reason}`);
  }
}

export type Fields = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string of ${v.length} character${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'number') return `${v}`;
  return `a ${typeof v}`;
}

export function object(v: unknown, path: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(path, `expected an object, got ${describe(v)}`);
  return v as Fields;
}

export function string(v: unknown, path: string, minLength = 0, maxLength = Infinity): string {
  if (typeof v !== 'string' || v.length < minLength || v.length > maxLength) {
    const bounds =
      maxLength !== Infinity ? ` of ${minLength} to ${maxLength} characters` : minLength > 0 ? ` of at least ${minLength} character${minLength > 1 ? 's' : ''}` : '';
    throw new ShapeError(path, `expected a string${bounds}, got ${describe(v)}`);
  }
  return v;
}

export function integer(v: unknown, path: string, minimum: number, maximum = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < minimum || v > maximum) {
    const bounds = maximum !== Infinity ? ` from ${minimum} to ${maximum}` : ` ≥ ${minimum}`;
    throw new ShapeError(path, `expected an integer${bounds}, got ${describe(v)}`);
  }
  return v;
}

export function boolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new ShapeError(path, `expected true or false, got ${describe(v)}`);
  return v;
}

export function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ShapeError(path, `expected one of ${allowed.join(', ')}, got ${typeof v === 'string' ? `"${v}"` : describe(v)}`);
  }
  return v as T;
}

export function array(v: unknown, path: string, each: (item: unknown, path: string) => void): unknown[] {
  if (!Array.isArray(v)) throw new ShapeError(path, `expected an array, got ${describe(v)}`);
  v.forEach((item, i) => each(item, `${path}/${i}`));
  return v;
}

/** A JSON pointer segment for a field name (RFC 6901 escapes). */
export function key(path: string, name: string): string {
  return `${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Checks `fields[name]` with `check` when it is present. */
export function optional(fields: Fields, name: string, path: string, check: (v: unknown, path: string) => unknown): void {
  if (fields[name] !== undefined) check(fields[name], key(path, name));
}

/** Checks `fields[name]`, which must be present. */
export function required(fields: Fields, name: string, path: string, check: (v: unknown, path: string) => unknown): void {
  if (!Object.prototype.hasOwnProperty.call(fields, name)) throw new ShapeError(key(path, name), 'required field is missing');
  check(fields[name], key(path, name));
}
