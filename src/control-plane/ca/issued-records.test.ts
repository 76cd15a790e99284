import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IssuedRecords, NodeBindingError, nodeForSigning, normalizeSerial, type IssuedRecord } from './issued-records.js';
import type { WorkloadIdentity } from './types.js';

const reviews: WorkloadIdentity = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'reviews' };
const ratings: WorkloadIdentity = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'ratings' };
const nodes: Record<string, WorkloadIdentity> = { 'reviews-v1-0': reviews, 'reviews-v2-0': reviews, 'ratings-v1-0': ratings };
const identityOf = (id: string): WorkloadIdentity | undefined => nodes[id];

function record(nodeId: string, serialNumber: string): IssuedRecord {
  const t = new Date().toISOString();
  return { nodeId, spiffeId: 'spiffe://cluster.local/ns/default/sa/reviews', serialNumber, notBefore: t, notAfter: t, issuedAt: t, rootFingerprint: 'AA', certificateChainPem: '' };
}

describe('binding a Sign call to a node', () => {
  it('a bootstrap token obtains its own node only', () => {
    const records = new IssuedRecords();
    assert.equal(nodeForSigning({ via: 'token', tokenNodeId: 'reviews-v1-0', nodeId: 'reviews-v1-0' }, reviews, identityOf, records), 'reviews-v1-0');
    // Old proxies name no node: the token says which.
    assert.equal(nodeForSigning({ via: 'token', tokenNodeId: 'reviews-v1-0' }, reviews, identityOf, records), 'reviews-v1-0');
    assert.throws(
      () => nodeForSigning({ via: 'token', tokenNodeId: 'reviews-v1-0', nodeId: 'reviews-v2-0' }, reviews, identityOf, records),
      (err: unknown) =>
        err instanceof NodeBindingError &&
        err.code === 'MAILLE_ERR_PERMISSION_DENIED' &&
        err.message === 'the bootstrap token was issued for node reviews-v1-0, not reviews-v2-0; a proxy can only obtain its own node\'s certificate',
    );
  });

  it("a certificate renews for the node it was issued to, never another's", () => {
    const records = new IssuedRecords();
    records.record(record('reviews-v1-0', '00ab12'));
    // Serials compare whatever the spelling (node:tls upper case, the library lower case, a leading 00).
    assert.equal(nodeForSigning({ via: 'certificate', peerSerial: 'AB12', nodeId: 'reviews-v1-0' }, reviews, identityOf, records), 'reviews-v1-0');
    assert.equal(nodeForSigning({ via: 'certificate', peerSerial: 'AB12' }, reviews, identityOf, records), 'reviews-v1-0');
    assert.throws(
      () => nodeForSigning({ via: 'certificate', peerSerial: 'AB12', nodeId: 'reviews-v2-0' }, reviews, identityOf, records),
      /^NodeBindingError: the certificate presented was issued to node reviews-v1-0; it cannot obtain node reviews-v2-0's certificate$/,
    );
  });

  it('a certificate from an earlier control plane may name a node of its own identity, not of another', () => {
    const records = new IssuedRecords();
    assert.equal(nodeForSigning({ via: 'certificate', peerSerial: 'FF01', nodeId: 'reviews-v2-0' }, reviews, identityOf, records), 'reviews-v2-0');
    assert.throws(
      () => nodeForSigning({ via: 'certificate', peerSerial: 'FF01', nodeId: 'ratings-v1-0' }, reviews, identityOf, records),
      /node ratings-v1-0 runs as spiffe:\/\/cluster.local\/ns\/default\/sa\/ratings; the caller is spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews/,
    );
    // A node this control plane does not know (yet): issued, recorded for nobody.
    assert.equal(nodeForSigning({ via: 'certificate', peerSerial: 'FF01', nodeId: 'later-v1-0' }, reviews, identityOf, records), undefined);
  });

  it('keeps the current and the previous serial of each node', () => {
    const records = new IssuedRecords();
    records.record(record('reviews-v1-0', '01'));
    records.record(record('reviews-v1-0', '02'));
    records.record(record('reviews-v1-0', '03'));
    assert.equal(records.get('reviews-v1-0')?.serialNumber, '03');
    assert.equal(records.nodeOfSerial('03'), 'reviews-v1-0');
    assert.equal(records.nodeOfSerial('02'), 'reviews-v1-0');
    assert.equal(records.nodeOfSerial('01'), undefined);
    assert.equal(normalizeSerial('0000ab'), 'AB');
    assert.equal(normalizeSerial('00'), '00');
  });
});
