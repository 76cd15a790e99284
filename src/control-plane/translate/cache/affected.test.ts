import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Resource } from '../../../api/kinds.js';
import { parseResources } from '../../../api/load.js';
import { loadResources, MESH, meshRegistry, sidecarOf, testdataDir } from '../testing.js';
import { translate } from '../translate.js';
import { affectedNamespaces } from './affected.js';

const vs = (ns: string, exportTo?: string[]): Resource =>
  parseResources(
    `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: ${ns}}\nspec:\n  hosts: [reviews]\n${exportTo ? `  exportTo: ${JSON.stringify(exportTo)}\n` : ''}  http: [{route: [{destination: {host: reviews}}]}]\n`,
    'vs.yaml',
  )[0];

describe('affectedNamespaces', () => {
  it('a resource exported to named namespaces concerns those only; unchanged objects none', () => {
    const kept = vs('default', ['.']);
    assert.deepEqual([...(affectedNamespaces([kept], [kept]) as Set<string>)], []);
    assert.deepEqual([...(affectedNamespaces([kept], [kept, vs('other', ['.', 'team-a', '~'])]) as Set<string>)].sort(), ['other', 'team-a']);
  });

  it('exported everywhere, widened, or another kind: every namespace', () => {
    const narrow = vs('default', ['.']);
    assert.equal(affectedNamespaces([], [vs('default')]), 'all');
    assert.equal(affectedNamespaces([narrow], [vs('default', ['*'])]), 'all');
    const pa = parseResources('apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: default}\nspec: {mtls: {mode: STRICT}}\n', 'pa.yaml')[0];
    assert.equal(affectedNamespaces([], [pa]), 'all');
  });

  it('sidecars outside the namespaces it names get the same snapshot (on every testdata file)', () => {
    const registry = meshRegistry();
    const inputs = readdirSync(testdataDir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ name: f, resources: loadResources(f) }));
    // Files limited to one namespace, and the same with a resource private to namespace other added.
    inputs.push(...inputs.map((i) => ({ name: `${i.name} + private VirtualService`, resources: [...i.resources, vs('other', ['.'])] })));
    let compared = 0;
    for (const { name, resources: before } of inputs) {
      const after = [...before, vs('other', ['.'])];
      const scope = affectedNamespaces(before, after);
      assert.notEqual(scope, 'all', name);
      if (scope === 'all') continue;
      for (const w of registry.workloads.filter((x) => !scope.has(x.namespace))) {
        const proxy = sidecarOf(registry, w.id);
        assert.deepEqual(translate({ resources: after, registry, mesh: MESH, proxy }).snapshot, translate({ resources: before, registry, mesh: MESH, proxy }).snapshot, `${name}: ${w.id}`);
        compared++;
      }
    }
    assert.ok(compared > 100, `only ${compared} comparisons`);
  });
});
