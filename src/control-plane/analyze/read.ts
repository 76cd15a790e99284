// Reading files for analysis: like parseResources, but one bad document does not hide the others.
// Valid resources come back Located (file, document, lines); everything the loader refuses comes
// back as error findings with the same words `maille apply` and `maille run` would print.
import { LineCounter, parseAllDocuments, type YAMLError } from 'yaml';
import { KINDS } from '../../api/kinds.js';
import { ConfigError, validateResource } from '../../api/load.js';
import { DEFAULT_NAMESPACE } from '../../api/meta.js';
import { formatPath, type FieldPath } from '../../proxy/config/path.js';
import { lineOfPath } from './lines.js';
import type { Finding, Located } from './types.js';

export interface ReadResult {
  readonly resources: Located[];
  readonly findings: Finding[];
  /** Kinds of documents that failed validation: checks that need every one of a kind can stand down. */
  readonly invalidKinds: Set<string>;
}

export function readResources(text: string, file: string): ReadResult {
  const result: ReadResult = { resources: [], findings: [], invalidKinds: new Set() };
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true, merge: true });
  docs.forEach((doc, docIndex) => {
    if (doc.errors.length > 0) {
      result.findings.push(...doc.errors.map((e) => syntaxFinding(file, docIndex, e)));
      result.invalidKinds.add('*'); // what the broken document was is unknown
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      const line = lines.linePos(doc.range[0]).line;
      result.findings.push({ severity: 'error', file, line, document: docIndex + 1, resource: null, path: null, message: (err as Error).message });
      result.invalidKinds.add('*');
      return;
    }
    if (value === null || value === undefined) return; // only comments, or a bare `---`
    const lineOf = (path: FieldPath) => lineOfPath(doc, lines, path);
    const items = listItems(value);
    if (items === undefined) add(result, value, file, docIndex, undefined, lineOf);
    else items.forEach((v, i) => add(result, v, file, docIndex, i, (path) => lineOf(['items', i, ...path])));
  });
  return result;
}

function add(result: ReadResult, value: unknown, file: string, docIndex: number, item: number | undefined, lineOf: (p: FieldPath) => number | undefined): void {
  // validateResource reports problems as finished lines; the paths come to us through lineOf,
  // which it calls once per problem, in order, so each line can be split back into its parts.
  const paths: FieldPath[] = [];
  const where = { file, docIndex, ...(item !== undefined ? { item } : {}), lineOf: (p: FieldPath) => (paths.push(p), lineOf(p)) };
  try {
    result.resources.push({ resource: validateResource(value, where), file, docIndex, ...(item !== undefined ? { item } : {}), lineOf });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const resource = resourceLabel(value);
    result.invalidKinds.add(typeof (value as { kind?: unknown }).kind === 'string' ? (value as { kind: string }).kind : '*');
    err.problems.forEach((text, i) => {
      const path = paths[i] ?? [];
      const line = lineOf(path) ?? null;
      const doc = `document ${docIndex + 1}${item !== undefined ? ` items[${item}]` : ''}${resource ? ` (${resource})` : ''}`;
      const prefix = `${line !== null ? `${file}:${line}` : file}: ${doc}: ${path.length > 0 ? `${formatPath(path)}: ` : ''}`;
      const message = text.startsWith(prefix) ? text.slice(prefix.length) : text;
      result.findings.push({ severity: 'error', file, line, document: docIndex + 1, ...(item !== undefined ? { item } : {}), resource, path: path.length > 0 ? formatPath(path) : null, message });
    });
  }
}

/** Kind/namespace/name as far as the value says (namespace defaulted as kubectl does), as load.ts labels it. */
export function resourceLabel(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  const { kind, metadata } = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof kind !== 'string') return null;
  const ns = typeof metadata?.namespace === 'string' ? metadata.namespace : DEFAULT_NAMESPACE;
  const name = typeof metadata?.name === 'string' ? metadata.name : '(unnamed)';
  return `${kind}/${ns}/${name}`;
}

function listItems(value: unknown): unknown[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { kind, items } = value as { kind?: unknown; items?: unknown };
  if (typeof kind !== 'string' || !Array.isArray(items)) return undefined;
  return kind === 'List' || KINDS.some((k) => `${k.kind}List` === kind) ? items : undefined;
}

function syntaxFinding(file: string, docIndex: number, e: YAMLError): Finding {
  // The library appends " at line L, column C:" and an excerpt; the line has its own field.
  const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const pos = e.linePos?.[0];
  return { severity: 'error', file, line: pos?.line ?? null, document: docIndex + 1, resource: null, path: null, message: pos ? `column ${pos.col}: ${message}` : message };
}
