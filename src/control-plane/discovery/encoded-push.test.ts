// A provider that hands out snapshots already serialized, in pieces (translate/cache does, with
// pieces shared by thousands of proxies): the proxy's real client gets them as one snapshot, and an
// unchanged content version is not sent again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Snapshot } from '../../model/snapshot.js';
import type { NodeInfo } from './protocol.js';
import { createTestPki, nodeInfo, sleep, startTestClient, startTestServer, waitFor, WEB, type TestPki, type TestServer } from './testing.js';
import type { AffectedNodes, EncodedSnapshot, SnapshotProvider } from './types.js';

class PiecesProvider implements SnapshotProvider {
  current: Snapshot = { version: 'v1', listeners: [] };
  /** The version announced, independently of the content: the server must trust it. */
  contentVersion = 'c1';
  encoded = 0;
  private listeners: ((nodes: AffectedNodes) => void)[] = [];

  snapshotFor(): Snapshot {
    throw new Error('the server must use encodedSnapshotFor when there is one');
  }

  encodedSnapshotFor(node: NodeInfo): EncodedSnapshot {
    this.encoded++;
    const text = JSON.stringify({ ...this.current, listeners: [] });
    // Cut the text in three, the middle piece one Buffer that every call shares.
    const cut = text.indexOf('"listeners"');
    assert.ok(cut > 0 && node.id.length > 0);
    return { contentVersion: this.contentVersion, chunks: [Buffer.from(text.slice(0, cut)), SHARED, Buffer.from(text.slice(cut + SHARED.length))] };
  }

  onChange(cb: (nodes: AffectedNodes) => void): void {
    this.listeners.push(cb);
  }

  change(): void {
    for (const cb of this.listeners) cb('all');
  }
}
const SHARED = Buffer.from('"listeners"');

describe('discovery server with pre-serialized snapshots', { timeout: 20_000 }, () => {
  let pki: TestPki;
  let ts: TestServer;
  const provider = new PiecesProvider();
  before(async () => {
    pki = await createTestPki();
    ts = await startTestServer(pki, { provider });
  });
  after(async () => {
    await ts.server.close();
    await pki.close();
  });

  it('sends the pieces as one snapshot, and only when the content version changes', { timeout: 10_000 }, async () => {
    const { client, applied } = startTestClient(ts.server.port, pki, nodeInfo('pieces', WEB));
    try {
      assert.deepEqual(await client.firstSnapshot, { version: 'v1', listeners: [] });
      // Same content version: computed again, not sent again.
      provider.change();
      await waitFor(() => provider.encoded >= 2, 'the recomputation');
      await sleep(200);
      assert.equal(ts.server.status()[0]?.lastSentVersion, 1);
      provider.current = { version: 'v2', listeners: [] };
      provider.contentVersion = 'c2';
      provider.change();
      await waitFor(() => applied.length === 2, 'the second snapshot');
      assert.equal(applied[1].version, 'v2');
      await waitFor(() => ts.server.status()[0]?.state === 'synced', 'the ACK');
      assert.equal(ts.server.status()[0]?.lastSentVersion, 2);
    } finally {
      await client.close();
    }
  });
});
