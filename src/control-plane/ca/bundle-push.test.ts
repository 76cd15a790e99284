import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withTrustBundle } from './bundle-push.js';

const PEM = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

describe('the trust bundle in a serialized snapshot', () => {
  it('adds the member before the closing brace, across shared pieces, and versions by both', () => {
    const shared = Buffer.from('"x"]');
    const encoded = { version: 'v1', chunks: [Buffer.from('{"version":"v1","listeners":[],"clusters":['), shared, Buffer.from('}'), Buffer.alloc(0)] };
    const a = withTrustBundle(encoded, PEM);
    assert.deepEqual(a.snapshot, { version: 'v1', listeners: [], clusters: ['x'], trustBundlePem: PEM });
    assert.equal(a.chunks[1], shared, 'shared pieces are reused, not copied');
    assert.equal(withTrustBundle(encoded, PEM).contentVersion, a.contentVersion);
    assert.notEqual(withTrustBundle(encoded, PEM.replace('AAAA', 'BBBB')).contentVersion, a.contentVersion);
    assert.notEqual(withTrustBundle({ ...encoded, version: 'v2' }, PEM).contentVersion, a.contentVersion);
    assert.throws(() => withTrustBundle({ version: 'v', chunks: [Buffer.from('[]')] }, PEM), /does not end with "}"/);
  });
});
