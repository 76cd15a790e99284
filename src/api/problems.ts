// From TypeBox errors to problems users can act on, reusing the proxy config's renderer
// (schema-problems.ts) and adding what resources need on top of it:
// - values described by an EXPECTED sentence (durations, Kubernetes names) say so, not "a string";
// - an unknown field names the field it was probably meant to be, or the fields allowed there;
// - helpers for the "one of these fields" rules that protobuf oneofs impose and a schema cannot.
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { describeValue, listNames, pointerToPath, type FieldPath } from '../proxy/config/path.js';
import { schemaProblems, type Problem } from '../proxy/config/schema-problems.js';
import { EXPECTED } from './schema.js';

export type { Problem };

/** Problems for TypeBox's errors against `root` (the whole resource). */
export function resourceProblems(errors: Iterable<ValueError>, root: unknown): Problem[] {
  const out: Problem[] = [];
  const seen: string[] = [];
  // Fields a misspelling was taken for: "destinaton: unknown field (did you mean destination?)"
  // says all there is; a second line "destination: is required" would only add noise.
  const meant = new Set<string>();
  for (const error of errors) {
    // As schemaProblems does: one problem per field, nothing under a field already reported.
    if (seen.some((p) => error.path === p || error.path.startsWith(`${p}/`))) continue;
    seen.push(error.path);
    const path = pointerToPath(error.path, root);
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const key = String(path[path.length - 1]);
      const close = KindGuard.IsObject(error.schema) ? closest(key, Object.keys(error.schema.properties)) : undefined;
      if (close !== undefined) meant.add(JSON.stringify([...path.slice(0, -1), close]));
      out.push({ path, message: unknownField(error.schema, key, close) });
    } else {
      out.push(...problemsOf(error, path, root));
    }
  }
  return out.filter((p) => !(p.message.startsWith('is required') && meant.has(JSON.stringify(p.path))));
}

function problemsOf(error: ValueError, path: FieldPath, root: unknown): Problem[] {
  const expected: unknown = error.schema[EXPECTED];
  if (typeof expected === 'string') {
    if (error.type === ValueErrorType.ObjectRequiredProperty) return [{ path, message: `is required (${expected})` }];
    return [{ path, message: `must be ${expected} (got ${describeValue(error.value)})` }];
  }
  const problems = schemaProblems([error], root);
  // "strict" for STRICT, "Pathprefix" for PathPrefix: name the value the user surely meant.
  const hint = typeof error.value === 'string' ? closest(error.value, literalsOf(error.schema)) : undefined;
  return hint === undefined ? problems : problems.map((p) => ({ ...p, message: `${p.message.replace(/\)$/, '')}; did you mean ${hint}?)` }));
}

function literalsOf(schema: TSchema): string[] {
  if (!KindGuard.IsUnion(schema)) return [];
  return schema.anyOf.flatMap((v) => (KindGuard.IsLiteral(v) && typeof v.const === 'string' ? [v.const] : []));
}

function unknownField(parent: TSchema, key: string, close: string | undefined): string {
  if (KindGuard.IsRecord(parent)) {
    // Only records with constrained keys report extra keys (e.g. port numbers).
    const keys: unknown = parent[EXPECTED];
    return `keys here must be ${typeof keys === 'string' ? keys : Object.keys(parent.patternProperties).join(' or ')} (got ${JSON.stringify(key)})`;
  }
  if (close !== undefined) return `unknown field (did you mean ${close}?)`;
  const allowed = KindGuard.IsObject(parent) ? Object.keys(parent.properties) : [];
  return allowed.length > 0 ? `unknown field (allowed: ${listNames(allowed, 25)})` : 'unknown field (nothing is allowed here)';
}

/** The candidate a typo most likely meant: same letters in another case, or a small edit away. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = word.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions counted as one edit ("hsot" → "host"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// ---------------------------------------------------------------------------------------------
// Rules between fields, for the kinds' semantic checks (run after the schema passed).

type Fields = object | undefined;

function given(value: Fields, keys: readonly string[]): string[] {
  if (value === undefined) return [];
  const record = value as Record<string, unknown>;
  return keys.filter((k) => record[k] !== undefined);
}

/** A protobuf oneof: setting two of `keys` is an error. */
export function atMostOneOf(value: Fields, keys: readonly string[], path: FieldPath): Problem[] {
  const set = given(value, keys);
  return set.length > 1 ? [{ path, message: `must have at most one of ${keys.join(', ')} (got ${set.join(', ')})` }] : [];
}

/** A required oneof: an object that is there must have exactly one of `keys`. */
export function exactlyOneOf(value: Fields, keys: readonly string[], path: FieldPath): Problem[] {
  if (value === undefined) return [];
  const set = given(value, keys);
  if (set.length === 1) return [];
  return [{ path, message: `must have exactly one of ${keys.join(', ')} (got ${set.length > 0 ? set.join(', ') : 'none'})` }];
}

/** Runs `check` on each item of an optional list, with the item's path. */
export function eachOf<T>(items: readonly T[] | undefined, path: FieldPath, check: (item: T, path: FieldPath) => Problem[]): Problem[] {
  return (items ?? []).flatMap((item, i) => check(item, [...path, i]));
}

export { describeValue, listNames, type FieldPath };
