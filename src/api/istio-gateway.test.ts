// Gateway TLS settings as Istio validates them: a terminating server needs a certificate, and
// MUTUAL with certificate files needs the CA that verifies clients; each mistake is one line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseResources } from './load.js';

const gateway = (tls: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: ${tls}
`;

function problems(yaml: string): string[] {
  try {
    parseResources(yaml, 'gw.yaml');
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.problems];
  }
}

describe('Gateway TLS modes', () => {
  it('accepts MUTUAL with a credentialName (the CA is in the secret), or files with caCertificates, and PASSTHROUGH alone', () => {
    assert.deepEqual(problems(gateway('{mode: MUTUAL, credentialName: secure-cert, subjectAltNames: [spiffe://a/b]}')), []);
    assert.deepEqual(problems(gateway('{mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem}')), []);
    assert.deepEqual(problems(gateway('{mode: PASSTHROUGH}')), []);
    assert.deepEqual(problems(gateway('{mode: ISTIO_MUTUAL}')), []);
  });

  it('MUTUAL with certificate files but no CA, and a terminating mode without a certificate', () => {
    const DOC = 'document 1 (Gateway/default/edge)';
    assert.deepEqual(problems(gateway('{mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}')), [
      `gw.yaml:9: ${DOC}: spec.servers[0].tls.caCertificates: is required with mode MUTUAL and serverCertificate (the CA that verifies client certificates)`,
    ]);
    assert.deepEqual(problems(gateway('{mode: MUTUAL}')), [`gw.yaml:9: ${DOC}: spec.servers[0].tls: mode MUTUAL needs serverCertificate and privateKey (or credentialName)`]);
  });
});
