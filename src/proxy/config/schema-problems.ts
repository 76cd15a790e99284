// Turns TypeBox's validation errors into readable problems.
//
// TypeBox reports what the checker saw ("Expected union value", "Expected integer"), with the
// schema at hand. Users need what is allowed, so every message is rebuilt from that schema:
// limits, the literals of an enum-like union, the keys of a "one of these objects" union.
//
// TypeBox itself is not imported at load: a proxy serving valid snapshots never describes an error,
// and loading TypeBox costs it ~3 MB of RSS (docs/performance.md). Schemas are told apart by their
// `Symbol.for('TypeBox.Kind')` mark, as TypeBox's KindGuard does; the error codes load on first use.
import { createRequire } from 'node:module';
import type { TArray, TInteger, TLiteral, TNumber, TObject, TRecord, TSchema, TString, TUnion } from '@sinclair/typebox';
import type { ValueError } from '@sinclair/typebox/errors';
import { describeValue, pointerToPath, type FieldPath } from './path.js';

const Kind = Symbol.for('TypeBox.Kind');
const isKind = (schema: unknown, kind: string): boolean =>
  typeof schema === 'object' && schema !== null && (schema as Record<symbol, unknown>)[Kind] === kind;
const KindGuard = {
  IsUnion: (s: unknown): s is TUnion => isKind(s, 'Union'),
  IsObject: (s: unknown): s is TObject => isKind(s, 'Object'),
  IsLiteral: (s: unknown): s is TLiteral => isKind(s, 'Literal'),
  IsString: (s: unknown): s is TString => isKind(s, 'String'),
  IsInteger: (s: unknown): s is TInteger => isKind(s, 'Integer'),
  IsNumber: (s: unknown): s is TNumber => isKind(s, 'Number'),
  IsBoolean: (s: unknown): boolean => isKind(s, 'Boolean'),
  IsArray: (s: unknown): s is TArray => isKind(s, 'Array'),
  IsRecord: (s: unknown): s is TRecord => isKind(s, 'Record'),
};

type ErrorTypes = typeof import('@sinclair/typebox/errors').ValueErrorType;
let errorTypes: ErrorTypes | undefined;
function ValueErrorTypes(): ErrorTypes {
  return (errorTypes ??= (createRequire(import.meta.url)('@sinclair/typebox/errors') as typeof import('@sinclair/typebox/errors')).ValueErrorType);
}

export interface Problem {
  path: FieldPath;
  message: string;
}

/** Problems for a list of TypeBox errors against `root` (the whole validated value). */
export function schemaProblems(errors: Iterable<ValueError>, root: unknown): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // TypeBox may report one field twice (missing → "required" and "expected string"); the first
    // says it best. Nothing under an already reported field adds information either.
    if (seen.has(error.path) || [...seen].some((p) => error.path.startsWith(`${p}/`))) continue;
    seen.add(error.path);
    out.push(...problemsOf(error, root));
  }
  return out;
}

function problemsOf(error: ValueError, root: unknown): Problem[] {
  const path = pointerToPath(error.path, root);
  const ValueErrorType = ValueErrorTypes();
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return [{ path, message: 'unknown field' }];
    case ValueErrorType.ObjectRequiredProperty:
      return [{ path, message: `is required (${describeSchema(error.schema)})` }];
    case ValueErrorType.Union:
      return unionProblems(error, path, root);
    default:
      return [{ path, message: `must be ${describeSchema(error.schema)} (got ${describeValue(error.value)})` }];
  }
}

/**
 * Unions are where TypeBox's own report is useless ("Expected union value"). Two shapes occur in
 * the model: enums (a union of literals) and "exactly one of these keys" objects (StringMatch,
 * HashPolicy). For the latter, when the value names exactly one key, the user meant that variant:
 * report its errors (e.g. `regex: must be a string`) rather than the union as a whole.
 */
function unionProblems(error: ValueError, path: FieldPath, root: unknown): Problem[] {
  const schema = error.schema;
  const value = error.value;
  const variants: TSchema[] = KindGuard.IsUnion(schema) ? schema.anyOf : [];
  const got = describeValue(value);
  if (variants.length > 0 && variants.every((v) => KindGuard.IsObject(v))) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return [{ path, message: `must be ${describeSchema(schema)} (got ${got})` }];
    }
    const keys = objectUnionKeys(variants);
    const given = Object.keys(value).filter((k) => keys.includes(k));
    if (given.length === 1) {
      const index = variants.findIndex((v) => KindGuard.IsObject(v) && given[0] in v.properties);
      const nested = error.errors[index];
      const inner = nested ? schemaProblems(nested, root) : [];
      if (inner.length > 0) return inner;
    }
    const shown = given.length > 0 ? given : Object.keys(value);
    return [
      {
        path,
        message: `must have exactly one of ${keys.join(', ')} (got ${shown.length > 0 ? shown.join(', ') : 'none'})`,
      },
    ];
  }
  return [{ path, message: `must be ${describeSchema(schema)} (got ${got})` }];
}

function objectUnionKeys(variants: TSchema[]): string[] {
  const keys: string[] = [];
  for (const v of variants) {
    if (!KindGuard.IsObject(v)) continue;
    for (const k of Object.keys(v.properties)) if (!keys.includes(k)) keys.push(k);
  }
  return keys;
}

/** What a schema allows, phrased to follow "must be". */
export function describeSchema(schema: TSchema): string {
  if (KindGuard.IsLiteral(schema)) return String(schema.const);
  if (KindGuard.IsUnion(schema)) {
    const variants = schema.anyOf;
    if (variants.every((v) => KindGuard.IsLiteral(v))) return `one of ${variants.map(describeSchema).join(', ')}`;
    if (variants.every((v) => KindGuard.IsObject(v))) {
      return `an object with exactly one of ${objectUnionKeys(variants).join(', ')}`;
    }
    return variants.map(describeSchema).join(' or ');
  }
  if (KindGuard.IsString(schema)) return (schema.minLength ?? 0) > 0 ? 'a non-empty string' : 'a string';
  if (KindGuard.IsInteger(schema)) return `an integer${range(schema.minimum, schema.maximum)}`;
  if (KindGuard.IsNumber(schema)) return `a number${range(schema.minimum, schema.maximum)}`;
  if (KindGuard.IsBoolean(schema)) return 'true or false';
  if (KindGuard.IsArray(schema)) return (schema.minItems ?? 0) > 0 ? 'a non-empty list' : 'a list';
  if (KindGuard.IsRecord(schema)) {
    const values = Object.values(schema.patternProperties)[0];
    return values ? `a map whose values are each ${describeSchema(values)}` : 'a map';
  }
  if (KindGuard.IsObject(schema)) return 'an object';
  return 'a valid value';
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}
