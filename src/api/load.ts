// Reading resources: multi-document YAML (as users write and kubectl exports it) → validated
// resources, or one ConfigError holding every problem of every document.
//
// Each problem is one line naming the file (and line, when the YAML is at hand), the document
// (position and Kind/namespace/name), the field path and what is allowed:
//   mesh.yaml:14: document 2 (VirtualService/default/reviews): spec.http[0].timeout: must be a duration such as … (got "1 s")
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import { ConfigError } from '../proxy/config/config-error.js';
import { formatPath } from '../proxy/config/path.js';
import { KINDS, supportedKinds, type KindInfo, type Resource } from './kinds.js';
import { DEFAULT_NAMESPACE } from './meta.js';
import { closest, describeValue, resourceProblems, type FieldPath, type Problem } from './problems.js';

export { ConfigError } from '../proxy/config/config-error.js';

/** Where a resource came from, for its error lines. */
export interface Where {
  file: string;
  /** Position of the document in the file, from 0; empty documents count. Shown from 1. */
  docIndex: number;
  /** Position in the `items` of a `kind: List` document (kubectl's export format). */
  item?: number;
  /** Line of a field in the source, when the caller has it (parseResources does). */
  lineOf?: (path: FieldPath) => number | undefined;
}

// Compiled on first use of each kind: commands that read no resources pay nothing.
const checkers = new Map<string, TypeCheck<KindInfo['schema']>>();
function checkerFor(info: KindInfo): TypeCheck<KindInfo['schema']> {
  let checker = checkers.get(info.kind);
  if (!checker) checkers.set(info.kind, (checker = TypeCompiler.Compile(info.schema)));
  return checker;
}

/** Validates one resource; returns it with `status` dropped and the namespace filled in. Throws a ConfigError. */
export function validateResource(value: unknown, where: Where): Resource {
  const problems: Problem[] = [];
  const resource = check(value, problems);
  if (resource === undefined) throw new ConfigError(where.file, problems.map((p) => problemLine(where, value, p)));
  return resource;
}

function check(value: unknown, problems: Problem[]): Resource | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ path: [], message: `must be a resource: an object with apiVersion, kind, metadata and spec (got ${describeValue(value)})` });
    return undefined;
  }
  const { apiVersion, kind } = value as Record<string, unknown>;
  const info = KINDS.find((k) => k.kind === kind);
  if (!info) {
    problems.push(unknownKind(kind, apiVersion));
    return undefined;
  }
  if (typeof apiVersion !== 'string' || !info.apiVersions.includes(apiVersion)) {
    const allowed = orList(info.apiVersions);
    const message =
      apiVersion === undefined
        ? `is required (${allowed} for kind ${info.kind})`
        : `must be ${allowed} for kind ${info.kind} (got ${describeValue(apiVersion)})`;
    problems.push({ path: ['apiVersion'], message });
  }
  // apiVersion is reported above, in words that name the kind.
  const errors = [...checkerFor(info).Errors(value)].filter((e) => e.path !== '/apiVersion');
  const schemaProblems = resourceProblems(errors, value);
  problems.push(...schemaProblems);
  // The rules between fields trust the types, so they run only on a schema-valid resource.
  if (schemaProblems.length === 0) problems.push(...info.check(value));
  if (problems.length > 0) return undefined;
  const { status: _status, metadata, ...rest } = value as Record<string, unknown> & { metadata: { namespace?: string } };
  return { ...rest, metadata: { ...metadata, namespace: metadata.namespace ?? DEFAULT_NAMESPACE } } as Resource;
}

function unknownKind(kind: unknown, apiVersion: unknown): Problem {
  const supported = `supported kinds: ${supportedKinds()}`;
  if (kind === undefined) return { path: ['kind'], message: `is required (${supported})` };
  if (typeof kind !== 'string') return { path: ['kind'], message: `must be a kind name (got ${describeValue(kind)}); ${supported}` };
  const close = closest(
    kind,
    KINDS.map((k) => k.kind),
  );
  const hint = close !== undefined ? ` (did you mean ${close}?)` : '';
  const of = typeof apiVersion === 'string' ? ` of ${apiVersion}` : '';
  return { path: ['kind'], message: `${kind}${of} is not a kind maille reads${hint}; ${supported}` };
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function problemLine(where: Where, value: unknown, p: Problem): string {
  const line = where.lineOf?.(p.path);
  const file = line !== undefined ? `${where.file}:${line}` : where.file;
  const item = where.item !== undefined ? ` items[${where.item}]` : '';
  const label = resourceLabel(value);
  const doc = `document ${where.docIndex + 1}${item}${label ? ` (${label})` : ''}`;
  return p.path.length > 0 ? `${file}: ${doc}: ${formatPath(p.path)}: ${p.message}` : `${file}: ${doc}: ${p.message}`;
}

/** Kind/namespace/name as far as the value says (namespace defaulted as kubectl does). */
function resourceLabel(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { kind, metadata } = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof kind !== 'string') return undefined;
  const ns = typeof metadata?.namespace === 'string' ? metadata.namespace : DEFAULT_NAMESPACE;
  const name = typeof metadata?.name === 'string' ? metadata.name : '(unnamed)';
  return `${kind}/${ns}/${name}`;
}

// ---------------------------------------------------------------------------------------------

/**
 * All resources of a multi-document YAML (or JSON) text, in order. Empty documents are skipped;
 * `kind: List` documents (kubectl get -o yaml) contribute their items. Throws one ConfigError
 * with every problem: MAILLE_ERR_CONFIG_SYNTAX for YAML errors, else MAILLE_ERR_CONFIG.
 */
export function parseResources(text: string, file: string): Resource[] {
  const lines = new LineCounter();
  // merge: `<<: *base` works in Kubernetes' YAML (1.1) and so in users' files.
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true, merge: true });
  const syntax = docs.flatMap((doc) => doc.errors.map((e) => syntaxLine(file, e)));
  if (syntax.length > 0) throw new ConfigError(file, syntax, 'MAILLE_ERR_CONFIG_SYNTAX');

  const resources: Resource[] = [];
  const problems: string[] = [];
  const add = (value: unknown, where: Where) => {
    try {
      resources.push(validateResource(value, where));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  };
  docs.forEach((doc, docIndex) => {
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      // Alias bombs and unresolved aliases surface only here, without a position of their own.
      const at = lines.linePos(doc.range[0]).line;
      throw new ConfigError(file, [`${file}:${at}: document ${docIndex + 1}: ${(err as Error).message}`], 'MAILLE_ERR_CONFIG_SYNTAX');
    }
    if (value === null || value === undefined) return; // only comments, or a bare `---`
    const lineOf = (path: FieldPath) => lineOfPath(doc, lines, path);
    const items = listItems(value);
    if (items === undefined) add(value, { file, docIndex, lineOf });
    else items.forEach((item, i) => add(item, { file, docIndex, item: i, lineOf: (path) => lineOf(['items', i, ...path]) }));
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return resources;
}

/** The items of a `kind: List` (or VirtualServiceList…) document, else undefined. */
function listItems(value: unknown): unknown[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { kind, items } = value as { kind?: unknown; items?: unknown };
  if (typeof kind !== 'string' || !Array.isArray(items)) return undefined;
  return kind === 'List' || KINDS.some((k) => `${k.kind}List` === kind) ? items : undefined;
}

function syntaxLine(file: string, e: YAMLError): string {
  // The library appends " at line L, column C:" and an excerpt; the position goes first instead.
  const text = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const pos = e.linePos?.[0];
  return pos ? `${file}:${pos.line}:${pos.col}: ${text}` : `${file}: ${text}`;
}

/** The line of the deepest part of `path` present in the document (a missing field: its parent). */
export function lineOfPath(doc: Document, lines: LineCounter, path: FieldPath): number | undefined {
  const lineAt = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lines.linePos(range[0]).line : undefined;
  };
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      line = lineAt(pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      line = lineAt(node) ?? line;
    } else break;
  }
  return line;
}
