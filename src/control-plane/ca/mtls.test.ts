// Real mutual TLS between node:tls peers holding issued SVIDs: what the sidecars will do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openCertificateAuthority } from './authority.js';
import { createWorkloadKeyAndCsr } from './csr.js';
import { signWorkloadCsr } from './issue.js';
import { mtlsExchange, tempDir, type TlsPeer } from './testing.js';
import type { CertificateAuthority } from './types.js';

async function peer(ca: CertificateAuthority, namespace: string, serviceAccount: string): Promise<TlsPeer> {
  const { csrPem, privateKeyPem } = await createWorkloadKeyAndCsr();
  const svid = await signWorkloadCsr(ca, csrPem, { trustDomain: ca.trustDomain, namespace, serviceAccount });
  return { key: privateKeyPem, cert: svid.certificateChainPem, ca: svid.trustBundlePem };
}

describe('mutual TLS with issued SVIDs', () => {
  it('completes a TLS 1.3 handshake in which each side reads the other SPIFFE ID', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const server = await peer(ca, 'default', 'reviews');
    const client = await peer(ca, 'default', 'productpage');
    const r = await mtlsExchange(server, client, 'cluster.local');
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(r.serverSawClient?.uri, 'spiffe://cluster.local/ns/default/sa/productpage');
    assert.equal(r.serverSawClient?.serviceAccount, 'productpage');
    assert.equal(r.clientSawServer?.uri, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(r.serverReceived, 'hello');
    assert.equal(r.clientReceived, 'bye');
  });

  it('rejects a client certificate from a different CA', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const otherCa = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const server = await peer(ca, 'default', 'reviews');
    // Same trust domain and a plausible identity, but signed by a root the server does not trust.
    const intruder = { ...(await peer(otherCa, 'default', 'productpage')), ca: server.ca };
    const r = await mtlsExchange(server, intruder, 'cluster.local');
    assert.equal(r.serverSawClient, undefined, 'the server never accepted the connection');
    assert.ok(r.serverError, 'the server reported a refused client');
    // OpenSSL's code for "no trusted issuer of this leaf" (the foreign root is not in the bundle).
    assert.match(String(r.serverAuthorizationError), /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    // TLS 1.3 lets the client finish its side first; it then sees the connection closed, no answer.
    assert.equal(r.clientReceived, '');
  });

  it('rejects a server certificate from a different CA', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const otherCa = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const client = await peer(ca, 'default', 'productpage');
    const impostor = { ...(await peer(otherCa, 'default', 'reviews')), ca: client.ca };
    const r = await mtlsExchange(impostor, client, 'cluster.local');
    assert.equal(r.clientSawServer, undefined);
    assert.equal(r.serverReceived, undefined, 'no application data reached the impostor');
    assert.match(String((r.clientError as NodeJS.ErrnoException | undefined)?.code), /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });

  it('rejects a peer of the right CA whose SPIFFE ID is of another trust domain', async (t) => {
    // The chain verifies, so only the identity check can refuse it.
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t), trustDomain: 'other.local' });
    const server = await peer(ca, 'default', 'reviews');
    const client = await peer(ca, 'default', 'productpage');
    const r = await mtlsExchange(server, client, 'cluster.local');
    assert.match(String(r.clientError?.message), /spiffe:\/\/other.local\/ns\/default\/sa\/reviews is not in trust domain cluster.local/);
    assert.equal(r.serverReceived, undefined);
  });
});
