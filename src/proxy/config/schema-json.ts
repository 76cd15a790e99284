// A TypeBox schema as JSON text, and back. TypeBox marks schemas with registered symbols
// (Symbol.for('TypeBox.Kind'), …), which JSON cannot hold: they are written as string keys
// `Symbol(<name>)`. Used to ship the snapshot schema inside the generated checker
// (snapshot-shape.generated.ts), so describing errors does not need src/model/snapshot.ts —
// whose TypeBox type builders cost ~3 MB of RSS — loaded at start.
import type { TSchema } from '@sinclair/typebox';

const SYMBOL_KEY = /^Symbol\((.+)\)$/;

/** JSON text for a schema; throws on a value JSON cannot carry (a function, an unregistered symbol). */
export function schemaToJson(schema: TSchema): string {
  return JSON.stringify(toPlain(schema, '#'));
}

/** The schema schemaToJson wrote, symbols restored. */
export function schemaFromJson(text: string): TSchema {
  return fromPlain(JSON.parse(text)) as TSchema;
}

function toPlain(value: unknown, at: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((v, i) => toPlain(v, `${at}/${i}`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Reflect.ownKeys(value)) {
      const v = (value as Record<string | symbol, unknown>)[key];
      if (v === undefined) continue;
      if (typeof key === 'string') {
        if (SYMBOL_KEY.test(key)) throw new Error(`${at}/${key}: a key that reads as a symbol`);
        out[key] = toPlain(v, `${at}/${key}`);
      } else {
        const name = Symbol.keyFor(key);
        if (name === undefined) throw new Error(`${at}: unregistered symbol key ${String(key)}`);
        out[`Symbol(${name})`] = toPlain(v, `${at}/${String(key)}`);
      }
    }
    return out;
  }
  throw new Error(`${at}: not representable in JSON (${typeof value})`);
}

function fromPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string | symbol, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const symbol = SYMBOL_KEY.exec(key);
    out[symbol ? Symbol.for(symbol[1]) : key] = fromPlain(v);
  }
  return out;
}
