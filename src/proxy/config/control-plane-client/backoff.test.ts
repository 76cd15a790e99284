import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.js';
import { renewDelayMs, type WorkloadCertificate } from './certificate.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, jittered within the upper half of each step', () => {
    const low = (n: number): number => backoffDelay(n, {}, () => 0);
    const high = (n: number): number => backoffDelay(n, {}, () => 1);
    assert.deepEqual([0, 1, 2, 3].map(low), [50, 100, 200, 400]);
    assert.deepEqual([0, 1, 2, 3].map(high), [100, 200, 400, 800]);
    assert.equal(high(10), 5000);
    assert.equal(low(1000), 2500);
  });
});

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
