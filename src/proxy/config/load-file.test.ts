import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ConfigError } from './config-error.js';
import { contentHash, loadSnapshotFile, readSnapshotFile } from './load-file.js';
import { fullSnapshot } from './fixtures.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maille-load-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The ConfigError loading `path` throws. */
async function rejection(path: string): Promise<ConfigError> {
  try {
    await loadSnapshotFile(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail(`expected ${path} to be rejected`);
}

describe('loadSnapshotFile', () => {
  it('round-trips the full snapshot through YAML', async () => {
    const path = await file('full.yaml', stringify(fullSnapshot()));
    assert.deepEqual(await loadSnapshotFile(path), fullSnapshot());
  });

  it('round-trips the full snapshot through JSON, and hashes the bytes', async () => {
    const text = JSON.stringify(fullSnapshot(), null, 2);
    const path = await file('full.json', text);
    const loaded = await readSnapshotFile(path);
    assert.deepEqual(loaded.snapshot, fullSnapshot());
    assert.equal(loaded.hash, contentHash(text));
  });

  it('reports a YAML syntax error with file, line and column', async () => {
    const path = await file('bad-syntax.yaml', 'version: v1\nlisteners:\n  - name: a\n    port: [1, 2\n');
    const err = await rejection(path);
    assert.equal(err.code, 'MAILLE_ERR_CONFIG_SYNTAX');
    assert.deepEqual(err.problems, [
      `${path}:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('reports duplicate keys', async () => {
    const path = await file('dup.yaml', 'version: v1\nversion: v2\nlisteners: []\n');
    assert.deepEqual((await rejection(path)).problems, [`${path}:2:1: Map keys must be unique`]);
  });

  it('reads .json strictly: unquoted strings are errors', async () => {
    const path = await file('loose.json', '{"version": v1, "listeners": []}');
    assert.deepEqual((await rejection(path)).problems, [`${path}:1:13: not a JSON value: "v1" (strings must be quoted)`]);
  });

  it('reports content problems with the file name as given', async () => {
    const path = await file('bad.yaml', 'version: v1\nlisteners:\n  - name: a\n    port: 1\n    protocl: tcp\n');
    const err = await rejection(path);
    assert.equal(err.code, 'MAILLE_ERR_CONFIG');
    assert.deepEqual(err.problems, [
      `${path}: listeners[0].protocl: unknown field`,
    ]);
  });

  it('reports an empty file and a missing one', async () => {
    const empty = await file('empty.yaml', '# nothing yet\n');
    assert.deepEqual((await rejection(empty)).problems, [
      `${empty}: the file is empty (expected a snapshot with version and listeners)`,
    ]);
    const missing = join(dir, 'missing.yaml');
    const err = await rejection(missing);
    assert.equal(err.code, 'MAILLE_ERR_CONFIG_READ');
    assert.deepEqual(err.problems, [`${missing}: cannot read the file: no such file`]);
  });

  it('reports an alias to nowhere', async () => {
    const path = await file('alias.yaml', 'version: v1\nlisteners: *nope\n');
    const err = await rejection(path);
    assert.equal(err.code, 'MAILLE_ERR_CONFIG_SYNTAX');
    assert.deepEqual(err.problems, [`${path}:2:12: no anchor &nope before this alias`]);
  });
});
