// A local gateway from the Mesh: Istio's defaults, where its listeners will be (Gateway ports
// mapped as Istio's gateway Service maps them), its credentials, and the port check's lines.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseResources } from '../api/load.js';
import { packageInfo } from '../cli/package-info.js';
import type { Mesh } from '../api/mesh.js';
import { meshCredentials } from './credentials.js';
import { gatewayListeners, listenerUrl, unselectedGateways } from './gateway-listeners.js';
import { localGateways } from './gateways.js';
import { portProblems } from './port-check.js';

const MESH = (gateways: string, credentials = '') => `apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  services: []
  gateways:
${gateways}
${credentials}`;

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 9000, name: other, protocol: HTTP}
    hosts: [other.example.com]
  - port: {number: 9001, name: bound, protocol: HTTP}
    bind: 0.0.0.0
    hosts: [bound.example.com]
`;

function load(yaml: string): { mesh: Mesh; others: ReturnType<typeof parseResources> } {
  const all = parseResources(yaml, 'mesh.yaml');
  return { mesh: all.find((r): r is Mesh => r.kind === 'Mesh') as Mesh, others: all.filter((r) => r.kind !== 'Mesh') };
}

const SETTINGS = { trustDomain: 'cluster.local', rootNamespace: 'istio-system' };

describe('local gateways', () => {
  it("takes Istio's defaults: istio-system, istio: <name>, 80 → 8080 and 443 → 8443, loopback", () => {
    const { mesh } = load(MESH('    - name: ingressgateway\n    - {name: istio-eastwestgateway, address: 0.0.0.0, ports: []}'));
    const [first, second] = localGateways(mesh);
    assert.deepEqual(first, {
      id: 'ingressgateway.istio-system',
      name: 'ingressgateway',
      namespace: 'istio-system',
      serviceAccount: 'ingressgateway',
      labels: { app: 'ingressgateway', istio: 'ingressgateway' },
      address: '127.0.0.1',
      targetPorts: { 80: 8080, 443: 8443 },
      path: 'spec.gateways[0]',
    });
    assert.deepEqual(second.labels, { app: 'istio-eastwestgateway', istio: 'eastwestgateway' });
    assert.deepEqual(second.targetPorts, {});
  });

  it('plans the listeners its Gateways declare, mapped ports and bind included', () => {
    const { mesh, others } = load(`${MESH('    - name: ingressgateway')}---\n${GATEWAY}`);
    const [gw] = localGateways(mesh);
    const listeners = gatewayListeners(gw, { resources: others, mesh: SETTINGS, credentials: {} });
    assert.deepEqual(
      listeners.map((l) => [listenerUrl(l), l.gatewayPorts, l.hosts, l.servers]),
      [
        ['http://127.0.0.1:8080', [80], ['*'], ['Gateway default/bookinfo-gateway spec.servers[0]']],
        ['http://127.0.0.1:9000', [9000], ['other.example.com'], ['Gateway default/bookinfo-gateway spec.servers[1]']],
        ['http://127.0.0.1:9001', [9001], ['bound.example.com'], ['Gateway default/bookinfo-gateway spec.servers[2]']],
      ],
    );
    assert.equal(listeners[2].address, '0.0.0.0');
  });

  it('examples/gateway.yaml: Istio\'s bookinfo-gateway (port 80) is served on 127.0.0.1:8080', () => {
    const { mesh, others } = load(readFileSync(join(packageInfo().root, 'examples/gateway.yaml'), 'utf8'));
    const [gw] = localGateways(mesh);
    const listeners = gatewayListeners(gw, { resources: others, mesh: SETTINGS, credentials: {} });
    assert.deepEqual(
      listeners.map((l) => [listenerUrl(l), l.gatewayPorts, l.hosts]),
      [['http://127.0.0.1:8080', [80], ['*']]],
    );
  });

  it('examples/gateway-tls.yaml: MUTUAL on 127.0.0.1:8443 and PASSTHROUGH on 9443, both TLS', () => {
    const { mesh, others } = load(readFileSync(join(packageInfo().root, 'examples/gateway-tls.yaml'), 'utf8'));
    const [gw] = localGateways(mesh);
    // The credential as meshCredentials gives it (the files need not exist to plan the ports).
    const credentials = { 'ratings-credential': { certFile: '/c.pem', keyFile: '/k.pem', caCertFile: '/ca.pem' } };
    const listeners = gatewayListeners(gw, { resources: others, mesh: SETTINGS, credentials });
    assert.deepEqual(
      listeners.map((l) => [listenerUrl(l), l.gatewayPorts, l.hosts]),
      [
        ['https://127.0.0.1:8443', [443], ['ratings.example.com']],
        ['https://127.0.0.1:9443', [9443], ['nginx.example.com']],
      ],
    );
  });

  it('a gateway no Gateway selects plans no listener, and the Gateway is named in a warning', () => {
    const { mesh, others } = load(`${MESH('    - {name: edge}')}---\n${GATEWAY}`);
    const gateways = localGateways(mesh);
    assert.deepEqual(gatewayListeners(gateways[0], { resources: others, mesh: SETTINGS, credentials: {} }), []);
    assert.deepEqual(unselectedGateways(others, gateways, 'mesh.yaml'), [
      'warning: Gateway default/bookinfo-gateway selects istio=ingressgateway, which no gateway of mesh.yaml spec.gateways carries; it listens nowhere (add a gateway, or its labels)',
    ]);
    assert.deepEqual(unselectedGateways(others, localGateways(load(MESH('    - {name: ingressgateway}')).mesh), 'mesh.yaml'), []);
  });

  it('resolves credential files against the mesh file directory, and names the field of a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maille-cred-'));
    writeFileSync(join(dir, 'c.pem'), 'x');
    writeFileSync(join(dir, 'k.pem'), 'x');
    const ok = load(MESH('    - name: ingressgateway', '  credentials:\n    bookinfo-cert: {certFile: c.pem, keyFile: k.pem}'));
    assert.deepEqual(meshCredentials(ok.mesh, 'mesh.yaml', dir), { 'bookinfo-cert': { certFile: join(dir, 'c.pem'), keyFile: join(dir, 'k.pem') } });
    const bad = load(MESH('    - name: ingressgateway', '  credentials:\n    bookinfo-cert: {certFile: c.pem, keyFile: nope.pem}'));
    assert.throws(() => meshCredentials(bad.mesh, 'mesh.yaml', dir), {
      message: `mesh.yaml: spec.credentials["bookinfo-cert"].keyFile: cannot read ${join(dir, 'nope.pem')} (ENOENT)`,
    });
    // MUTUAL's CA (a TLS secret's ca.crt), resolved and checked the same way.
    writeFileSync(join(dir, 'ca.pem'), 'x');
    const mutual = load(MESH('    - name: ingressgateway', '  credentials:\n    secure-cert: {certFile: c.pem, keyFile: k.pem, caCertFile: ca.pem}'));
    assert.deepEqual(meshCredentials(mutual.mesh, 'mesh.yaml', dir), { 'secure-cert': { certFile: join(dir, 'c.pem'), keyFile: join(dir, 'k.pem'), caCertFile: join(dir, 'ca.pem') } });
    const noCa = load(MESH('    - name: ingressgateway', '  credentials:\n    secure-cert: {certFile: c.pem, keyFile: k.pem, caCertFile: ca/missing.pem}'));
    assert.throws(() => meshCredentials(noCa.mesh, 'mesh.yaml', dir), {
      message: `mesh.yaml: spec.credentials["secure-cert"].caCertFile: cannot read ${join(dir, 'ca/missing.pem')} (ENOENT)`,
    });
  });
});

describe('port check', () => {
  it('names a port in use, a port wanted twice, and says nothing of free ports', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const busy = (held.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const free = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    try {
      const lines = await portProblems([
        { address: '127.0.0.1', port: busy, owner: 'control plane', change: '--control-plane-port' },
        { address: '127.0.0.1', port: 0, owner: 'free', change: 'nothing' },
        { address: '127.0.0.1', port: free, owner: 'Gateway a', change: 'a' },
        { address: '127.0.0.1', port: free, owner: 'Gateway b', change: 'b' },
      ]);
      assert.deepEqual(lines, [
        `port ${free} is wanted twice on 127.0.0.1: by Gateway a and by Gateway b; change b`,
        `port ${busy} (control plane) is already in use on 127.0.0.1; free it or change --control-plane-port`,
      ]);
    } finally {
      held.close();
    }
  });
});
