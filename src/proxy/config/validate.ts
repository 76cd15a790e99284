// validateSnapshot: the one gate every snapshot passes (file or control plane) before the proxy
// builds anything from it. Problems come out as lines `<source>: <field path>: <what is allowed>`.
//
// Two passes: the schema first (types, ranges, unknown fields), then the rules between fields.
// The second pass needs a well-typed snapshot, so it runs only when the first found nothing;
// within each pass every problem is reported, not just the first.
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { SnapshotSchema, type Snapshot } from '../../model/snapshot.js';
import { ConfigError } from './config-error.js';
import { formatPath } from './path.js';
import { schemaProblems, type Problem } from './schema-problems.js';
import { semanticProblems } from './semantic-checks.js';

export { ConfigError } from './config-error.js';

// Compiled on first use: a few ms that commands not touching snapshots (e.g. `version`) skip.
let checker: TypeCheck<typeof SnapshotSchema> | undefined;

export function validateSnapshot(value: unknown, source: string): Snapshot {
  checker ??= TypeCompiler.Compile(SnapshotSchema);
  if (!checker.Check(value)) {
    throw new ConfigError(source, toLines(source, schemaProblems(checker.Errors(value), value)));
  }
  const problems = semanticProblems(value);
  if (problems.length > 0) throw new ConfigError(source, toLines(source, problems));
  return value;
}

function toLines(source: string, problems: Problem[]): string[] {
  if (problems.length === 0) return [`${source}: invalid snapshot`]; // never expected; never silent
  return problems.map((p) => (p.path.length === 0 ? `${source}: ${p.message}` : `${source}: ${formatPath(p.path)}: ${p.message}`));
}
