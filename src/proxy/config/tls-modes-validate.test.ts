// Snapshot validation of the gateway TLS modes' fields: client certificates (MUTUAL) and TLS
// passthrough routes; each mistake one line naming the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Snapshot } from '../../model/snapshot.js';
import { ConfigError, validateSnapshot } from './validate.js';

function problems(value: unknown): string[] {
  try {
    validateSnapshot(value, 'proxy.yaml');
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.problems];
  }
}

const snapshot = (listener: Record<string, unknown>): Snapshot =>
  ({ version: '1', listeners: [{ name: 'gw', port: 8443, ...listener }], clusters: [{ name: 'a', endpoints: [] }] }) as Snapshot;

describe('snapshot: gateway TLS modes', () => {
  it('accepts passthrough alone (tcp, no tcpCluster), and next to termination with client certificates', () => {
    assert.deepEqual(problems(snapshot({ protocol: 'tcp', sniRoutes: [{ serverNames: ['a.example.com'], destinations: [{ cluster: 'a', weight: 3 }] }] })), []);
    const tls = { certFile: '/c.pem', keyFile: '/k.pem', clientAuth: { caCertificatesFile: '/ca.pem', subjectAltNames: ['spiffe://x/y'] } };
    assert.deepEqual(problems({ ...snapshot({ routeConfig: 'r', tls, sniRoutes: [] }), routeConfigs: [{ name: 'r', virtualHosts: [] }] }), []);
  });

  it('names each mistake', () => {
    const tls = { certFile: '/c.pem', keyFile: '/k.pem', clientAuth: {}, sni: [{ serverNames: ['b'], certFile: '/c.pem', keyFile: '/k.pem', clientAuth: { caCertificatesPem: 'x', caCertificatesFile: '/y' } }] };
    assert.deepEqual(problems(snapshot({ protocol: 'tcp', tls, mtls: { mode: 'STRICT' }, sniRoutes: [{ serverNames: ['a'], destinations: [{ cluster: 'nope' }] }] })), [
      'proxy.yaml: listeners[0].mtls: is not allowed together with tls (one listener terminates one kind of TLS)',
      'proxy.yaml: listeners[0].tls.sni[0].clientAuth: needs exactly one of caCertificatesPem, caCertificatesFile',
      'proxy.yaml: listeners[0].tls.clientAuth: needs exactly one of caCertificatesPem, caCertificatesFile',
      'proxy.yaml: listeners[0].sniRoutes: is not allowed together with mtls (mesh mTLS terminates every connection)',
      'proxy.yaml: listeners[0].sniRoutes[0].destinations[0].cluster: no cluster named "nope" (clusters: a)',
    ]);
    assert.deepEqual(problems(snapshot({ protocol: 'tcp', sniRoutes: [{ serverNames: [], destinations: [{ cluster: 'a' }] }] })).length, 1);
    assert.match(problems(snapshot({ protocol: 'tcp', sniRoutes: [{ serverNames: ['a'], destinations: [] }] }))[0], /^proxy\.yaml: listeners\[0\]\.sniRoutes\[0\]\.destinations: /);
  });
});
