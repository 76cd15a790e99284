// The Mesh kind's gateways and credentials: accepted as documented, and each mistake one line
// naming the file, line, field path and what is allowed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseResources } from './load.js';
import type { Mesh } from './mesh.js';

const HEAD = ['apiVersion: maille.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: demo}', 'spec:', '  services: []'];

function mesh(...lines: string[]): string {
  return [...HEAD, ...lines].join('\n');
}

function problems(yaml: string): string[] {
  try {
    parseResources(yaml, 'mesh.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.problems];
  }
  assert.fail('expected the mesh to be rejected');
}

const DOC = 'document 1 (Mesh/default/demo)';

describe('Mesh gateways and credentials', () => {
  it('accepts a gateway with defaults and one with every field, and credentials by name', () => {
    const [m] = parseResources(
      mesh(
        '  gateways:',
        '    - name: ingressgateway',
        '    - name: edge',
        '      namespace: edge-system',
        '      serviceAccount: edge-sa',
        '      labels: {app: edge}',
        '      address: 0.0.0.0',
        '      ports: [{port: 80, targetPort: 9080, name: http}]',
        '  credentials:',
        '    bookinfo-cert: {certFile: certs/b.pem, keyFile: certs/b-key.pem}',
        '    edge-system/edge-cert: {certFile: /etc/e.pem, keyFile: /etc/e-key.pem}',
      ),
      'mesh.yaml',
    ) as Mesh[];
    assert.equal(m.spec.gateways?.length, 2);
    assert.deepEqual(Object.keys(m.spec.credentials ?? {}), ['bookinfo-cert', 'edge-system/edge-cert']);
  });

  it('an unknown field in a gateway is an error with its line', () => {
    assert.deepEqual(problems(mesh('  gateways:', '    - name: ingressgateway', '      selector: {istio: ingressgateway}')), [
      `mesh.yaml:8: ${DOC}: spec.gateways[0].selector: unknown field (allowed: name, namespace, serviceAccount, labels, address, ports)`,
    ]);
  });

  it('an address that is not an IP', () => {
    assert.deepEqual(problems(mesh('  gateways:', '    - {name: ingressgateway, address: localhost}')), [
      `mesh.yaml:7: ${DOC}: spec.gateways[0].address: must be an IP address such as 127.0.0.1 or 0.0.0.0 (got "localhost")`,
    ]);
  });

  it('the same gateway twice, the same port twice', () => {
    assert.deepEqual(
      problems(
        mesh(
          '  gateways:',
          '    - {name: ingressgateway, ports: [{port: 80, targetPort: 8080}, {port: 80, targetPort: 9090}]}',
          '    - {name: ingressgateway, namespace: istio-system}',
        ),
      ),
      [
        `mesh.yaml:7: ${DOC}: spec.gateways[0].ports[1].port: duplicate port 80 (first at spec.gateways[0].ports[0])`,
        `mesh.yaml:8: ${DOC}: spec.gateways[1].name: duplicate gateway ingressgateway.istio-system (first at spec.gateways[0])`,
      ],
    );
  });

  it('a target port out of range', () => {
    assert.deepEqual(problems(mesh('  gateways:', '    - {name: ingressgateway, ports: [{port: 80, targetPort: 70000}]}')), [
      `mesh.yaml:7: ${DOC}: spec.gateways[0].ports[0].targetPort: must be an integer from 1 to 65535 (got 70000)`,
    ]);
  });

  it('a credential without its key file, and a bad credential name', () => {
    assert.deepEqual(problems(mesh('  credentials:', '    bookinfo-cert: {certFile: b.pem}')), [
      `mesh.yaml:7: ${DOC}: spec.credentials["bookinfo-cert"].keyFile: is required (a non-empty string)`,
    ]);
    assert.deepEqual(problems(mesh('  credentials:', '    Bookinfo_Cert: {certFile: b.pem, keyFile: k.pem}')), [
      `mesh.yaml:7: ${DOC}: spec.credentials.Bookinfo_Cert: must be a credentialName: a lowercase RFC 1123 name, optionally "namespace/name" (got "Bookinfo_Cert")`,
    ]);
  });
});
