import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SnapshotSchema, type Snapshot } from '../../model/snapshot.js';
import { fullSnapshot } from './fixtures.js';
import { schemaFromJson, schemaToJson } from './schema-json.js';
import { GENERATED_FILE, snapshotShapeModule } from './snapshot-shape-codegen.js';
import { SNAPSHOT_SCHEMA_JSON, checkSnapshotShape } from './snapshot-shape.generated.js';

describe('snapshot-shape.generated.ts', () => {
  it('is up to date with SnapshotSchema (else: npx tsx src/proxy/config/snapshot-shape-codegen.ts)', () => {
    assert.equal(readFileSync(GENERATED_FILE, 'utf8'), snapshotShapeModule());
  });

  it('carries the schema itself, TypeBox symbols included', () => {
    // Only fields set to undefined (`description: undefined` from Strict()) are left out.
    assert.deepStrictEqual(schemaFromJson(SNAPSHOT_SCHEMA_JSON), withoutUndefined(SnapshotSchema));
    assert.equal(schemaToJson(schemaFromJson(SNAPSHOT_SCHEMA_JSON)), SNAPSHOT_SCHEMA_JSON);
  });

  it('agrees with the TypeBox checker compiled at run time', () => {
    const checker = TypeCompiler.Compile(SnapshotSchema);
    const edits: ((s: Snapshot & Record<string, unknown>) => void)[] = [
      () => undefined,
      (s) => (s.version = ''),
      (s) => (s.listeners[0].port = 70000),
      (s) => (s.listeners[0].port = 1.5),
      (s) => ((s.listeners[0] as unknown as Record<string, unknown>).protocl = 'tcp'),
      (s) => (s.extra = true),
      (s) => ((s.routeConfigs![0].virtualHosts[0] as unknown as Record<string, unknown>).domains = 'x'),
      (s) => ((s.clusters![0] as unknown as Record<string, unknown>).endpoints = [{ address: 1 }]),
    ];
    for (const [i, edit] of edits.entries()) {
      const s = fullSnapshot() as Snapshot & Record<string, unknown>;
      edit(s);
      assert.equal(checkSnapshotShape(s), checker.Check(s), `edit ${i}`);
      assert.equal(checkSnapshotShape(s), i === 0, `edit ${i}`);
    }
    for (const v of [null, 1, 'x', [], {}]) assert.equal(checkSnapshotShape(v), checker.Check(v));
  });
});

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(value)) {
    const v = (value as Record<string | symbol, unknown>)[key];
    if (v !== undefined) out[key] = withoutUndefined(v);
  }
  return out;
}

describe('schemaToJson', () => {
  it('refuses what JSON cannot carry', () => {
    assert.throws(() => schemaToJson({ a: () => 1 } as never), /#\/a: not representable/);
    assert.throws(() => schemaToJson({ [Symbol('local')]: 1 } as never), /unregistered symbol/);
    assert.throws(() => schemaToJson({ 'Symbol(x)': 1 } as never), /reads as a symbol/);
  });
});
