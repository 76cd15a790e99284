import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renewDelayMs, type WorkloadCertificate } from './certificate.js';

describe('renewDelayMs', () => {
  const cert = (notBefore: number, notAfter: number): WorkloadCertificate => ({
    spiffeId: 'spiffe://cluster.local/ns/default/sa/web',
    certChainPem: '',
    privateKeyPem: '',
    trustBundlePem: '',
    serialNumber: '1',
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    renewAt: new Date((notBefore + notAfter) / 2),
  });
  const now = 1_000_000_000;
  const hour = 3_600_000;

  it('renews at half-life', () => {
    assert.equal(renewDelayMs(cert(now - 60_000, now - 60_000 + 24 * hour), now), 12 * hour - 60_000);
  });

  it('renews a certificate already past half-life halfway through what is left, never in a spin', () => {
    assert.equal(renewDelayMs(cert(now - 60_000, now + 10_000), now), 5000);
    assert.equal(renewDelayMs(cert(now - 60_000, now + 100), now), 1000);
  });
});
