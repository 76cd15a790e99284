import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { BootstrapTokens, bootstrapTokensFile, newBootstrapToken } from './bootstrap-tokens.js';

const reviews = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'reviews' };
const ratings = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'ratings' };
const stateDir = () => mkdtempSync(join(tmpdir(), 'maille-tokens-'));

describe('bootstrap tokens', () => {
  it('are accepted again after a restart (a new store on the same state directory)', async () => {
    const dir = stateDir();
    const first = await BootstrapTokens.open(dir);
    const a = newBootstrapToken();
    const b = newBootstrapToken();
    first.register('reviews-v1-0', reviews, a);
    first.register('ratings-v1-0', ratings, b);
    await first.flush();

    const again = await BootstrapTokens.open(dir);
    assert.deepEqual(again.verify(a), { nodeId: 'reviews-v1-0', identity: reviews });
    assert.deepEqual(again.verify(b), { nodeId: 'ratings-v1-0', identity: ratings });
    assert.equal(again.verify(newBootstrapToken()), undefined);
  });

  it('store only hashes, in a file only the owner can read', async () => {
    const dir = stateDir();
    const store = await BootstrapTokens.open(dir);
    const token = newBootstrapToken();
    store.register('reviews-v1-0', reviews, token);
    await store.flush();
    const file = bootstrapTokensFile(dir);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(token), 'the token itself is not written');
    assert.match(text, /"sha256": "[0-9a-f]{64}"/);
  });

  it('keep one token per node: registering another one retires the old', async () => {
    const dir = stateDir();
    const store = await BootstrapTokens.open(dir);
    const old = newBootstrapToken();
    const current = newBootstrapToken();
    store.register('reviews-v1-0', reviews, old);
    store.register('reviews-v1-0', reviews, current);
    assert.equal(store.verify(old), undefined);
    assert.equal(store.verify(current)?.nodeId, 'reviews-v1-0');
    await store.flush();
    const again = await BootstrapTokens.open(dir);
    assert.equal(again.verify(old), undefined);
    assert.equal(again.verify(current)?.nodeId, 'reviews-v1-0');
  });

  it('coalesce a burst of registrations into few writes, all of them on disk after flush', async () => {
    const dir = stateDir();
    const store = await BootstrapTokens.open(dir);
    const tokens = Array.from({ length: 500 }, () => newBootstrapToken());
    tokens.forEach((t, i) => store.register(`w-${i}`, reviews, t));
    await store.flush();
    const again = await BootstrapTokens.open(dir);
    assert.equal(again.verify(tokens[499])?.nodeId, 'w-499');
    assert.equal(again.verify(tokens[0])?.nodeId, 'w-0');
  });

  it('refuse a malformed token from the launcher, and a damaged file with its name and field', async () => {
    const dir = stateDir();
    const store = await BootstrapTokens.open(dir);
    assert.throws(() => store.register('reviews-v1-0', reviews, 'short'), /^Error: bootstrap token for node reviews-v1-0: expected at least 32 base64url characters$/);
    const file = bootstrapTokensFile(dir);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: 1, nodes: { 'reviews-v1-0': { sha256: 'nope', identity: reviews } } }));
    await assert.rejects(BootstrapTokens.open(dir), (err: Error) => err.message.startsWith(`${file}: nodes["reviews-v1-0"].sha256: expected 64 hex digits; delete the file`));
  });
});
