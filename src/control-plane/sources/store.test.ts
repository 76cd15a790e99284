import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseResources } from '../../api/load.js';
import { RESOURCES_FILE, ResourceStore, StoreError } from './store.js';

const vs = (name: string, host: string, subset = 'v1') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [${host}]
  http:
    - route:
        - destination: {host: ${host}, subset: ${subset}}
`;
const res = (...docs: string[]) => parseResources(docs.join('---\n'), 'test.yaml');
const names = (store: ResourceStore) => store.resources().map((r) => `${r.metadata.name}:${JSON.stringify(r.spec).includes('v2') ? 'v2' : 'v1'}`);

describe('ResourceStore', () => {
  it('keeps order: file first, updates in place, new ones last; a restart loads the same', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'maille-store-'));
    const fileResources = res(vs('a', 'a'), vs('b', 'b'));
    const store = await ResourceStore.open({ stateDir, fileResources });
    let changes = 0;
    store.onChange(() => changes++);

    assert.deepEqual(await store.apply(res(vs('c', 'c'))), [{ kind: 'VirtualService', namespace: 'default', name: 'c', action: 'created' }]);
    assert.deepEqual(
      (await store.apply(res(vs('b', 'b', 'v2'), vs('a', 'a')))).map((o) => `${o.name} ${o.action}`),
      ['b configured', 'a unchanged'],
    );
    assert.deepEqual(names(store), ['a:v1', 'b:v2', 'c:v1']);
    assert.equal(changes, 2);
    assert.deepEqual(
      store.list({ name: 'b' }).map((s) => s.origin),
      ['applied'],
    );

    // Only applied resources are in the file; no temporary file left behind.
    const onDisk = parseResources(readFileSync(join(stateDir, RESOURCES_FILE), 'utf8'), 'x');
    assert.deepEqual(
      onDisk.map((r) => r.metadata.name),
      ['b', 'c'],
    );
    assert.deepEqual(readdirSync(stateDir), [RESOURCES_FILE]);

    const again = await ResourceStore.open({ stateDir, fileResources });
    assert.deepEqual(names(again), ['a:v1', 'b:v2', 'c:v1']);
    assert.deepEqual(again.resources(), store.resources());
  });

  it('delete uncovers the file version; file-only and absent resources are refused', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'maille-store-'));
    const store = await ResourceStore.open({ stateDir, fileResources: res(vs('a', 'a')) });
    await store.apply(res(vs('a', 'a', 'v2'), vs('b', 'b')));
    assert.equal((await store.delete('VirtualService', 'default', 'a'))?.origin, 'file');
    assert.equal(await store.delete('VirtualService', 'default', 'b'), undefined);
    assert.deepEqual(names(store), ['a:v1']);
    await assert.rejects(store.delete('VirtualService', 'default', 'a'), (e: StoreError) => e.code === 'MAILLE_ERR_CONFLICT');
    await assert.rejects(store.delete('VirtualService', 'default', 'nope'), (e: StoreError) => e.code === 'MAILLE_ERR_NOT_FOUND');
    assert.deepEqual(names(await ResourceStore.open({ stateDir, fileResources: res(vs('a', 'a')) })), ['a:v1']);
  });

  it('refuses a Mesh and changes nothing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'maille-store-'));
    const store = await ResourceStore.open({ stateDir, fileResources: [] });
    const mesh = 'apiVersion: maille.dev/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec: {services: []}\n';
    await assert.rejects(store.apply(res(vs('a', 'a'), mesh), 'm.yaml'), (e: ConfigError) => /^m\.yaml: Mesh\/default\/m: a Mesh is read by maille run/.test(e.problems[0]));
    assert.deepEqual(store.resources(), []);
    assert.deepEqual(readdirSync(stateDir), []);
  });

  it('refuses to start on a state file that no longer validates, naming it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'maille-store-'));
    const store = await ResourceStore.open({ stateDir, fileResources: [] });
    await store.apply(res(vs('a', 'a')));
    const file = join(stateDir, RESOURCES_FILE);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace('hosts:', 'hostz:'));
    await assert.rejects(ResourceStore.open({ stateDir, fileResources: [] }), (e: ConfigError) => e.problems[0].startsWith(`${file}:`));
  });
});
