// Building blocks shared by every kind's schema (TypeBox: one definition gives the TypeScript
// type, the runtime validator and the JSON Schema the CRDs reuse).
//
// Every object is Strict: an unknown field is an error, never silently dropped (DESIGN.md §2), so
// a typo in a user's YAML is reported instead of quietly changing what the mesh does.
import {
  Type,
  type StringOptions,
  type TLiteral,
  type TObject,
  type TProperties,
  type TSchema,
  type TString,
  type TUnion,
} from '@sinclair/typebox';

/**
 * Schema key holding the words that finish "must be …" for a value whose bare type says too
 * little (a pattern: durations, Kubernetes names). problems.ts reads it; json-schema.ts drops it,
 * since Kubernetes rejects keys it does not know.
 */
export const EXPECTED = 'x-maille-expected';

/** An object schema that rejects unknown fields. */
export function Strict<T extends TProperties>(props: T, description?: string): TObject<T> {
  return Type.Object(props, { additionalProperties: false, description });
}

export const Opt = <T extends TSchema>(s: T) => Type.Optional(s);

/**
 * One of a fixed set of strings (protobuf enums in Istio, enums in Gateway API). TypeBox returns
 * the literal itself for a single value, hence the two result types.
 */
export function Enum<const V extends string>(values: readonly V[], description?: string): TUnion<TLiteral<V>[]> | TLiteral<V> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );
}

/** A string checked by a regular expression, with the words users read when it does not match. */
export function Pattern(pattern: string, expected: string, options: StringOptions = {}): TString {
  return Type.String({ ...options, pattern, [EXPECTED]: expected });
}

export const Str = (description?: string) => Type.String({ description });
export const NonEmpty = (description?: string) => Type.String({ minLength: 1, description });
export const Bool = (description?: string) => Type.Boolean({ description });
export const Strings = (description?: string) => Type.Array(Type.String(), { description });
/** Labels, header values to set, selectors: string keys to string values. */
export const StringMap = (description?: string) => Type.Record(Type.String(), Type.String(), { description });
export const Port = (description?: string) => Type.Integer({ minimum: 1, maximum: 65535, description });
export const Count = (description?: string) => Type.Integer({ minimum: 0, description });
export const Percentage = (description?: string) => Type.Number({ minimum: 0, maximum: 100, description });

/**
 * A pattern matching `words` in any letter case, written with character classes because the
 * pattern must mean the same to JavaScript and to Kubernetes (Go RE2), which share no flag syntax.
 */
export function anyCase(words: readonly string[]): string {
  // Only letters, digits and '-' occur in these words; '-' outside a class needs no escape.
  const one = (w: string) => [...w].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');
  return `^(${words.map(one).join('|')})$`;
}
