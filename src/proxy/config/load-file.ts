// Reads a snapshot from a YAML or JSON file and validates it. Syntax errors name the file, line and
// column (`proxy.yaml:3:5: ...`); content errors name the field (see validate.ts).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import type { Document, LineCounter, YAMLError } from 'yaml';
import type { Snapshot } from '../../model/snapshot.js';
import { ConfigError } from './config-error.js';
import { parsePlainJson } from './json-text.js';
import { validateSnapshot } from './validate.js';

type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
/**
 * `yaml` is loaded on first need (a YAML file, or a JSON file with a problem to locate): a proxy
 * started from a well-formed JSON snapshot never loads it. require() keeps parseSnapshot
 * synchronous; the package is CommonJS for Node either way.
 */
function yaml(): YamlModule {
  return (yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule);
}

export interface LoadedSnapshot {
  snapshot: Snapshot;
  /** sha256 of the file's bytes: lets a watcher tell a real change from a touch. */
  hash: string;
}

export async function loadSnapshotFile(path: string): Promise<Snapshot> {
  return (await readSnapshotFile(path)).snapshot;
}

/** Like loadSnapshotFile, also returning the content hash (for watchSnapshotFile's `lastHash`). */
export async function readSnapshotFile(path: string): Promise<LoadedSnapshot> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw readError(path, err);
  }
  return { snapshot: parseSnapshot(bytes.toString('utf8'), path), hash: contentHash(bytes) };
}

export function contentHash(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Parses and validates snapshot text; `source` names it in errors. One parser for both formats:
 * YAML is a superset of JSON and reports positions. A `.json` file is read with the JSON schema,
 * so YAML-only conveniences (unquoted strings) are errors there, as a JSON user expects.
 * Well-formed JSON without repeated keys takes JSON.parse instead (same value, no `yaml` loaded);
 * anything else in a `.json` file goes through the YAML parser for the positioned error.
 */
export function parseSnapshot(text: string, source: string): Snapshot {
  const json = extname(source).toLowerCase() === '.json';
  if (json) {
    const plain = parsePlainJson(text);
    if (plain !== undefined) return validateSnapshot(plain.value, source);
  }
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: json ? 'json' : 'core', uniqueKeys: true, prettyErrors: true, lineCounter });
  const syntax = doc.errors.map((e) => syntaxLine(source, e, json));
  syntax.push(...unresolvedAliases(doc, lineCounter, source));
  if (syntax.length > 0) throw new ConfigError(source, syntax, 'MAILLE_ERR_CONFIG_SYNTAX');
  if (doc.contents === null) {
    throw new ConfigError(source, [`${source}: the file is empty (expected a snapshot with version and listeners)`]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // Alias bombs (too many expansions) surface only here, without a position.
    throw new ConfigError(source, [`${source}: ${(err as Error).message}`], 'MAILLE_ERR_CONFIG_SYNTAX');
  }
  return validateSnapshot(value, source);
}

function syntaxLine(source: string, e: YAMLError, json: boolean): string {
  // The library appends " at line L, column C:" and a source excerpt; we give the position our way.
  let text = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (json && e.code === 'TAG_RESOLVE_FAILED') {
    const m = /^Unresolved plain scalar (".*")$/.exec(text);
    if (m) text = `not a JSON value: ${m[1]} (strings must be quoted)`;
  }
  const pos = e.linePos?.[0];
  return pos ? `${source}:${pos.line}:${pos.col}: ${text}` : `${source}: ${text}`;
}

/** `*name` without an `&name` before it: the parser accepts it and toJS would throw without a position. */
function unresolvedAliases(doc: Document, lines: LineCounter, source: string): string[] {
  const out: string[] = [];
  yaml().visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return;
      const pos = lines.linePos(node.range?.[0] ?? 0);
      out.push(`${source}:${pos.line}:${pos.col}: no anchor &${node.source} before this alias`);
    },
  });
  return out;
}

function readError(path: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : (err as Error).message;
  return new ConfigError(path, [`${path}: cannot read the file: ${reason}`], 'MAILLE_ERR_CONFIG_READ');
}
