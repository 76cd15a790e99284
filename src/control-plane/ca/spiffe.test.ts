import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { openCertificateAuthority } from './authority.js';
import { createWorkloadKeyAndCsr } from './csr.js';
import { signWorkloadCsr } from './issue.js';
import {
  PeerIdentityError,
  SpiffeIdError,
  formatWorkloadId,
  parseSpiffeId,
  parseWorkloadId,
  uriSansFromAltNames,
  validateTrustDomain,
  verifyPeerIdentity,
} from './spiffe.js';
import { tempDir } from './testing.js';

describe('SPIFFE IDs', () => {
  it('parses valid IDs', () => {
    assert.deepEqual(parseSpiffeId('spiffe://cluster.local/ns/default/sa/web'), {
      uri: 'spiffe://cluster.local/ns/default/sa/web',
      trustDomain: 'cluster.local',
      path: '/ns/default/sa/web',
    });
    assert.deepEqual(parseSpiffeId('spiffe://example.org'), { uri: 'spiffe://example.org', trustDomain: 'example.org', path: '' });
    assert.deepEqual(parseWorkloadId('spiffe://td/ns/a-b/sa/c.d_E'), { trustDomain: 'td', namespace: 'a-b', serviceAccount: 'c.d_E' });
  });

  it('rejects invalid IDs with the reason', () => {
    const bad: [string, RegExp][] = [
      ['https://cluster.local/ns/a/sa/b', /must start with spiffe:\/\//],
      ['SPIFFE://cluster.local/ns/a/sa/b', /must start with spiffe:\/\//],
      ['spiffe://Cluster.local/ns/a/sa/b', /may contain only lower-case/],
      ['spiffe://cluster.local:8080/ns/a', /may contain only lower-case/],
      ['spiffe://user@cluster.local/ns/a', /may contain only lower-case/],
      ['spiffe:///ns/a/sa/b', /trust domain is empty/],
      ['spiffe://td/ns//sa/b', /empty path segment/],
      ['spiffe://td/ns/a/sa/b/', /trailing/],
      ['spiffe://td/ns/../sa/b', /'\.' or '\.\.'/],
      ['spiffe://td/ns/a%20b/sa/b', /path segment "a%20b"/],
      ['spiffe://td/ns/a/sa/b?x=1', /query or fragment/],
      ['spiffe://td/ns/a/sa/b#f', /query or fragment/],
      [`spiffe://td/${'a'.repeat(2048)}`, /longer than 2048 bytes/],
    ];
    for (const [uri, message] of bad) assert.throws(() => parseSpiffeId(uri), (e: unknown) => e instanceof SpiffeIdError && message.test(e.message), uri);
    assert.throws(() => parseWorkloadId('spiffe://td/workload/x'), /is not a workload ID \(expected spiffe:\/\/<trust-domain>\/ns\/<namespace>\/sa\/<service-account>\)/);
    assert.throws(() => parseWorkloadId('spiffe://td/ns/a/sa/b/c'), /is not a workload ID/);
    assert.throws(() => validateTrustDomain('a'.repeat(256)), /longer than 255/);
  });

  it('formats workload IDs, validating each part', () => {
    assert.equal(formatWorkloadId({ trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'web' }), 'spiffe://cluster.local/ns/default/sa/web');
    assert.throws(() => formatWorkloadId({ trustDomain: 'Bad', namespace: 'a', serviceAccount: 'b' }), /trust domain "Bad"/);
    assert.throws(() => formatWorkloadId({ trustDomain: 'td', namespace: '', serviceAccount: 'b' }), /namespace ""/);
  });
});

describe('reading identities from peer certificates', () => {
  it("parses node's subjectaltname text, including its JSON-quoted values", () => {
    assert.deepEqual(uriSansFromAltNames(undefined), []);
    assert.deepEqual(uriSansFromAltNames('DNS:a.example, URI:spiffe://td/ns/a/sa/b, IP Address:127.0.0.1'), ['spiffe://td/ns/a/sa/b']);
    // A value with a comma is quoted by node, so it cannot pose as two entries.
    assert.deepEqual(uriSansFromAltNames('URI:"spiffe://td/ns/a/sa/b, URI:spiffe://td/ns/x/sa/y"'), ['spiffe://td/ns/a/sa/b, URI:spiffe://td/ns/x/sa/y']);
    assert.deepEqual(uriSansFromAltNames('DNS:"a\\"b", URI:spiffe://td/x'), ['spiffe://td/x']);
    assert.throws(() => uriSansFromAltNames('garbage'), PeerIdentityError);
  });

  it('requires exactly one SPIFFE URI SAN of the trust domain', () => {
    const ok = verifyPeerIdentity({ subjectaltname: 'URI:spiffe://cluster.local/ns/default/sa/web' }, 'cluster.local');
    assert.deepEqual(ok, {
      uri: 'spiffe://cluster.local/ns/default/sa/web',
      trustDomain: 'cluster.local',
      path: '/ns/default/sa/web',
      principal: 'cluster.local/ns/default/sa/web',
      namespace: 'default',
      serviceAccount: 'web',
    });
    const refused: [Parameters<typeof verifyPeerIdentity>[0], RegExp][] = [
      [undefined, /peer presented no certificate/],
      [{}, /peer presented no certificate/],
      [{ subjectaltname: 'DNS:web.default.svc' }, /exactly one URI SAN \(a SPIFFE ID\), it has 0/],
      [{ subjectaltname: 'URI:spiffe://cluster.local/ns/a/sa/b, URI:spiffe://cluster.local/ns/c/sa/d' }, /exactly one URI SAN.*it has 2/],
      [{ subjectaltname: 'URI:https://cluster.local/ns/a/sa/b' }, /URI SAN: "https:.*" is not a SPIFFE ID/],
      [{ subjectaltname: 'URI:spiffe://evil.example/ns/default/sa/web' }, /spiffe:\/\/evil.example\/ns\/default\/sa\/web is not in trust domain cluster.local/],
      [{ subjectaltname: 'URI:"spiffe://cluster.local/ns/a/sa/b, URI:spiffe://cluster.local/ns/c/sa/d"' }, /is not a SPIFFE ID|may contain only/],
    ];
    for (const [cert, message] of refused) {
      assert.throws(() => verifyPeerIdentity(cert, 'cluster.local'), (e: unknown) => e instanceof PeerIdentityError && message.test(e.message), JSON.stringify(cert));
    }
    // A non-workload SPIFFE ID of our domain is an identity, without namespace/service account.
    const other = verifyPeerIdentity({ subjectaltname: 'URI:spiffe://cluster.local/gateway' }, 'cluster.local');
    assert.equal(other.namespace, undefined);
    assert.equal(other.principal, 'cluster.local/gateway');
  });

  it("reads an issued SVID through node:crypto's X509Certificate too", async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const { csrPem } = await createWorkloadKeyAndCsr();
    const svid = await signWorkloadCsr(ca, csrPem, { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'cart' });
    const cert = new X509Certificate(svid.certificatePem);
    assert.equal(verifyPeerIdentity(cert, 'cluster.local').principal, 'cluster.local/ns/shop/sa/cart');
    assert.throws(() => verifyPeerIdentity(cert, 'other.local'), /not in trust domain other.local/);
  });
});
