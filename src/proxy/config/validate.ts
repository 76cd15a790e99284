// validateSnapshot: the one gate every snapshot passes (file or control plane) before the proxy
// builds anything from it. Problems come out as lines `<source>: <field path>: <what is allowed>`.
//
// Two passes: the schema first (types, ranges, unknown fields), then the rules between fields.
// The second pass needs a well-typed snapshot, so it runs only when the first found nothing;
// within each pass every problem is reported, not just the first.
//
// The schema pass runs TypeBox's compiled checker for SnapshotSchema, generated ahead of time into
// snapshot-shape.generated.ts (see snapshot-shape-codegen.ts): TypeBox and src/model/snapshot.ts
// load only when a snapshot fails it and its errors need describing. A proxy serving good
// snapshots never loads them (~3.5 MB of RSS less; docs/performance.md).
import { createRequire } from 'node:module';
import type { TSchema } from '@sinclair/typebox';
import type { Snapshot } from '../../model/snapshot.js';
import { ConfigError } from './config-error.js';
import { formatPath } from './path.js';
import { schemaFromJson } from './schema-json.js';
import { schemaProblems, type Problem } from './schema-problems.js';
import { semanticProblems } from './semantic-checks.js';
import { SNAPSHOT_SCHEMA_JSON, checkSnapshotShape } from './snapshot-shape.generated.js';

export { ConfigError } from './config-error.js';

export function validateSnapshot(value: unknown, source: string): Snapshot {
  if (!checkSnapshotShape(value)) throw new ConfigError(source, toLines(source, shapeProblems(value)));
  const snapshot = value as Snapshot;
  const problems = semanticProblems(snapshot);
  if (problems.length > 0) throw new ConfigError(source, toLines(source, problems));
  return snapshot;
}

let schema: TSchema | undefined;

/** What is wrong with a value that failed the shape check, from TypeBox's error walk. */
function shapeProblems(value: unknown): Problem[] {
  // require(), not import(): validateSnapshot stays synchronous for its callers.
  const { Errors } = createRequire(import.meta.url)('@sinclair/typebox/errors') as typeof import('@sinclair/typebox/errors');
  schema ??= schemaFromJson(SNAPSHOT_SCHEMA_JSON);
  return schemaProblems(Errors(schema, [], value), value);
}

function toLines(source: string, problems: Problem[]): string[] {
  if (problems.length === 0) return [`${source}: invalid snapshot`]; // never expected; never silent
  return problems.map((p) => (p.path.length === 0 ? `${source}: ${p.message}` : `${source}: ${formatPath(p.path)}: ${p.message}`));
}
