// Mesh mTLS rules the goldens do not spell out one by one: PeerAuthentication precedence and
// inheritance, and the corners of auto mTLS on the client side.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResources } from '../../api/load.js';
import { indexResources } from './resources.js';
import { PeerAuthentications, type PeerWorkload } from './peer-authentication.js';
import { translate } from './index.js';
import { MESH, meshRegistry, sidecarOf } from './testing.js';
import { Warnings } from './warnings.js';

/** `ns/name mode [selector k=v,…] [port:mode …]` per line → PeerAuthentication YAML. */
function policies(...lines: string[]): string {
  return lines
    .map((line) => {
      const [id, mode, ...rest] = line.split(' ');
      const [namespace, name] = id.split('/');
      const selector = rest.find((r) => r.includes('='));
      const ports = rest.filter((r) => r.includes(':'));
      const labels = selector === undefined ? undefined : Object.fromEntries(selector.split(',').map((kv) => kv.split('=')));
      const spec = {
        ...(labels ? { selector: { matchLabels: labels } } : {}),
        ...(mode === '-' ? {} : { mtls: { mode } }),
        ...(ports.length > 0 ? { portLevelMtls: Object.fromEntries(ports.map((p) => [p.split(':')[0], { mode: p.split(':')[1] }])) } : {}),
      };
      return JSON.stringify({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec });
    })
    .join('\n---\n');
}

function peers(yaml: string): PeerAuthentications {
  const index = indexResources(parseResources(yaml, 'test.yaml'));
  return new PeerAuthentications(index.peerAuthentications, 'istio-system');
}

const reviews: PeerWorkload = { id: 'reviews-v1-0', namespace: 'default', labels: { app: 'reviews', version: 'v1' }, appPort: 9083 };

describe('PeerAuthentication precedence', () => {
  it('is PERMISSIVE without any policy, and when the mesh-wide one is UNSET', () => {
    assert.equal(peers('').modeFor(reviews), 'PERMISSIVE');
    assert.equal(peers(policies('istio-system/default UNSET')).modeFor(reviews), 'PERMISSIVE');
  });

  it('takes the narrowest level that sets a mode; UNSET and no mtls inherit', () => {
    const mesh = 'istio-system/default STRICT';
    assert.equal(peers(policies(mesh)).modeFor(reviews), 'STRICT');
    assert.equal(peers(policies(mesh, 'default/ns UNSET')).modeFor(reviews), 'STRICT');
    assert.equal(peers(policies(mesh, 'default/ns PERMISSIVE')).modeFor(reviews), 'PERMISSIVE');
    assert.equal(peers(policies(mesh, 'default/ns PERMISSIVE', 'default/w - app=reviews')).modeFor(reviews), 'PERMISSIVE');
    assert.equal(peers(policies(mesh, 'default/ns PERMISSIVE', 'default/w DISABLE app=reviews')).modeFor(reviews), 'DISABLE');
    // Another namespace's policy and a selector that does not match leave it alone.
    assert.equal(peers(policies(mesh, 'other/ns DISABLE', 'default/w DISABLE app=reviews,version=v2')).modeFor(reviews), 'STRICT');
  });

  it('applies port-level modes for the app port only; a port-level UNSET inherits the workload mode', () => {
    assert.equal(peers(policies('default/w PERMISSIVE app=reviews 9083:STRICT')).modeFor(reviews), 'STRICT');
    assert.equal(peers(policies('istio-system/m DISABLE', 'default/w STRICT app=reviews 9083:UNSET')).modeFor(reviews), 'STRICT');
    const warnings = new Warnings();
    assert.equal(peers(policies('default/w DISABLE app=reviews 9080:STRICT')).modeFor(reviews, warnings), 'DISABLE');
    assert.deepEqual(warnings.list(), [
      'PeerAuthentication default/w: spec.portLevelMtls.9080: workload reviews-v1-0 serves port 9083 only (where its app listens); this setting does not apply to it',
    ]);
  });

  it('treats empty matchLabels as namespace-wide, and ignores selectors in the root namespace (as Istio)', () => {
    const emptySelector = `${policies('default/ns STRICT')}`.replace('"spec":{', '"spec":{"selector":{"matchLabels":{}},');
    assert.equal(peers(emptySelector).modeFor(reviews), 'STRICT');
    assert.equal(peers(policies('istio-system/w DISABLE app=reviews')).modeFor(reviews), 'PERMISSIVE');
    // A workload of the root namespace: the selector-less policy there is the mesh-wide one.
    const gatewayPod: PeerWorkload = { id: 'gw', namespace: 'istio-system', labels: { app: 'gw' }, appPort: 8080 };
    assert.equal(peers(policies('istio-system/default STRICT', 'istio-system/w DISABLE app=gw')).modeFor(gatewayPod), 'STRICT');
  });

  it('lets the oldest of several policies at one level win, and reports the others', () => {
    const warnings = new Warnings();
    const mode = peers(policies('default/a STRICT', 'default/b DISABLE', 'default/c DISABLE app=reviews', 'default/d STRICT app=reviews')).modeFor(reviews, warnings);
    assert.equal(mode, 'DISABLE');
    assert.deepEqual(warnings.list(), [
      'PeerAuthentication default/b: spec: ignored: PeerAuthentication default/a (older) already sets the namespace-wide mode of default',
      'PeerAuthentication default/d: spec: ignored: PeerAuthentication default/c (older) already sets the mode of workload reviews-v1-0',
    ]);
  });
});

describe('auto mTLS (client side)', () => {
  function clusters(yaml: string) {
    const registry = meshRegistry();
    const { snapshot } = translate({ resources: parseResources(yaml, 'test.yaml'), registry, mesh: MESH, proxy: sidecarOf(registry, 'productpage-v1-0') });
    return new Map((snapshot.clusters ?? []).map((c) => [c.name, c]));
  }

  it('sends plaintext to workloads that are PERMISSIVE or DISABLE (both take plaintext)', () => {
    const c = clusters(policies('default/v3 DISABLE app=reviews,version=v3'));
    assert.equal(c.get('outbound|9080||reviews.default.svc.cluster.local')?.mtls, undefined);
    assert.ok(c.get('outbound|9080||ratings.default.svc.cluster.local')?.mtls);
  });

  it('treats a DestinationRule tls without mode as DISABLE (Istio\'s default) and uses the trust domain in identities', () => {
    const rule = JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'r', namespace: 'default' }, spec: { host: 'ratings', trafficPolicy: { tls: { sni: 'x' } } } });
    const c = clusters(rule);
    assert.equal(c.get('outbound|9080||ratings.default.svc.cluster.local')?.mtls, undefined);
    const registry = meshRegistry();
    const { snapshot } = translate({ resources: [], registry, mesh: { ...MESH, trustDomain: 'example.org' }, proxy: sidecarOf(registry, 'productpage-v1-0') });
    const details = snapshot.clusters?.find((x) => x.name === 'outbound|9080||details.default.svc.cluster.local');
    assert.deepEqual(details?.mtls, { subjectAltNames: ['spiffe://example.org/ns/default/sa/details'] });
  });

  it('sends plaintext to a ServiceEntry selecting workloads unless it says MESH_INTERNAL (Istio\'s default location is external)', () => {
    const entry = (location?: string) =>
      JSON.stringify({
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'alias', namespace: 'default' },
        spec: { hosts: ['reviews.example'], ...(location ? { location } : {}), resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], workloadSelector: { labels: { app: 'reviews' } } },
      });
    assert.equal(clusters(entry()).get('outbound|80||reviews.example')?.mtls, undefined);
    assert.deepEqual(clusters(entry('MESH_INTERNAL')).get('outbound|80||reviews.example')?.mtls, { subjectAltNames: ['spiffe://cluster.local/ns/default/sa/reviews'] });
  });
});
