// Delta pushes on a real stream: who gets them, what a refused one brings, and the proxy's real
// client rebuilding every snapshot from them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster, Snapshot } from '../../model/snapshot.js';
import { connectSession } from '../../proxy/config/control-plane-client/session.js';
import { openStream, type Link } from '../../proxy/config/control-plane-client/stream-call.js';
import { applyDelta } from './apply-delta.js';
import { controlPlaneSpiffeId, type ControlPlaneMessage, type DeltaMessage, type NodeInfo } from './protocol.js';
import { createTestPki, nodeInfo, quietLog, startTestClient, startTestServer, TRUST_DOMAIN, waitFor, WEB, type TestPki, type TestServer } from './testing.js';
import type { DiscoveryLog } from './types.js';

const cluster = (i: number, timeoutMs = 1000): Cluster => ({
  name: `outbound|9080||svc-${i}.default.svc.cluster.local`,
  endpoints: [{ address: '127.0.0.1', port: 9000 + i }],
  connectionPool: { connectTimeoutMs: timeoutMs },
});
/** A snapshot large enough that a change of one cluster is far smaller as a delta. */
const big = (version: string, changed = -1, extra = 0): Snapshot => ({
  version,
  listeners: [],
  clusters: Array.from({ length: 40 + extra }, (_, i) => cluster(i, i === changed ? 2000 : 1000)),
});

/** A raw proxy stream: every message received, and the link to answer on. */
async function rawProxy(ts: TestServer, pki: TestPki, node: NodeInfo, acceptsDelta: boolean, held?: { lastVersion: number; heldVersion: number }): Promise<{ link: Link; messages: ControlPlaneMessage[] }> {
  const cert = await pki.issue(WEB);
  const session = await connectSession({
    address: '127.0.0.1',
    port: ts.server.port,
    trustBundlePem: pki.trustBundlePem,
    controlPlaneId: controlPlaneSpiffeId(TRUST_DOMAIN),
    trustDomain: TRUST_DOMAIN,
    timeoutMs: 2000,
    certChainPem: cert.certChainPem,
    privateKeyPem: cert.privateKeyPem,
  });
  const messages: ControlPlaneMessage[] = [];
  const hello = { type: 'hello' as const, node, lastVersion: held?.lastVersion ?? 0, acceptsDelta, ...(held ? { heldVersion: held.heldVersion } : {}) };
  const link = await openStream(session, hello, { onMessage: (_l, m) => void messages.push(m), onClosed() {} }, 2000);
  return { link, messages };
}

describe('delta pushes', { timeout: 30_000 }, () => {
  let pki: TestPki;
  let ts: TestServer;
  const pushes: { node: string; delta: boolean }[] = [];
  const log: DiscoveryLog = {
    ...quietLog,
    debug: (msg, fields) => {
      if (msg === 'push snapshot') pushes.push({ node: String(fields?.node), delta: fields?.delta === true });
    },
  };
  before(async () => {
    pki = await createTestPki();
    ts = await startTestServer(pki, { log, debounceMs: 10 });
  });
  after(async () => {
    await ts.server.close();
    await pki.close();
  });

  it('go to a proxy that accepts them, on the version last sent; a refused one brings a whole snapshot', async () => {
    const node = nodeInfo('raw-delta', WEB);
    ts.provider.snapshots.set(node.id, big('a'));
    const { link, messages } = await rawProxy(ts, pki, node, true);
    try {
      await waitFor(() => messages.length === 1, 'the first snapshot');
      const first = messages[0];
      assert.equal(first.type, 'snapshot');
      link.send({ type: 'ack', version: first.version });

      ts.provider.set(node.id, big('b', 3));
      await waitFor(() => messages.length === 2, 'the delta');
      const delta = messages[1] as DeltaMessage;
      assert.equal(delta.type, 'delta');
      assert.equal(delta.baseVersion, first.version);
      assert.equal(delta.version, first.version + 1);
      assert.deepEqual(Object.keys(delta.delta as object).sort(), ['collections', 'set']);
      assert.equal(JSON.stringify(delta.delta).length < 400, true, 'one cluster, not forty');
      assert.deepEqual(applyDelta(first.type === 'snapshot' ? first.snapshot : undefined, delta.delta), big('b', 3));

      // The proxy says the base does not match: the next message is the whole snapshot.
      link.send({ type: 'nack', version: delta.version, error: 'delta on version 1, but this proxy holds version 7' });
      await waitFor(() => messages.length === 3, 'the whole snapshot after the NACK');
      assert.equal(messages[2].type, 'snapshot');
      assert.equal(messages[2].version, delta.version + 1);
      assert.deepEqual(messages[2].type === 'snapshot' ? messages[2].snapshot : undefined, big('b', 3));
      link.send({ type: 'ack', version: messages[2].version });
      await waitFor(() => ts.server.status().find((p) => p.nodeId === node.id)?.state === 'synced', 'synced');

      // A whole snapshot that is refused is not sent again (it would be refused again).
      ts.provider.set(node.id, big('c', 3, 40));
      await waitFor(() => messages.length === 4, 'the next push');
      link.send({ type: 'nack', version: messages[3].version, error: 'invalid' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(messages.length, messages[3].type === 'delta' ? 5 : 4, 'a NACKed delta brings one whole snapshot, a NACKed whole one nothing');
    } finally {
      await link.close();
    }
  });

  it('start a replacing stream when the proxy says it holds what the previous stream sent, else a whole snapshot does', async () => {
    const node = nodeInfo('raw-resume', WEB);
    ts.provider.snapshots.set(node.id, big('a'));
    const first = await rawProxy(ts, pki, node, true);
    const links = [first.link];
    try {
      await waitFor(() => first.messages.length === 1, 'the first snapshot');
      const v1 = first.messages[0].version;
      first.link.send({ type: 'ack', version: v1 });
      ts.provider.snapshots.set(node.id, big('b', 4));

      // A renewal's new stream: it holds v1, which the stream it replaces sent.
      const second = await rawProxy(ts, pki, node, true, { lastVersion: v1, heldVersion: v1 });
      links.push(second.link);
      await waitFor(() => second.messages.length === 1, 'the first message of the second stream');
      const delta = second.messages[0] as DeltaMessage;
      assert.equal(delta.type, 'delta');
      assert.equal(delta.baseVersion, v1);
      assert.equal(delta.version, v1 + 1);
      assert.deepEqual(applyDelta(first.messages[0].type === 'snapshot' ? first.messages[0].snapshot : undefined, delta.delta), big('b', 4));
      second.link.send({ type: 'ack', version: delta.version });

      // A version the server did not send last: a whole snapshot.
      const third = await rawProxy(ts, pki, node, true, { lastVersion: delta.version, heldVersion: v1 });
      links.push(third.link);
      await waitFor(() => third.messages.length === 1, 'the first message of the third stream');
      assert.equal(third.messages[0].type, 'snapshot');
      assert.equal(third.messages[0].version, delta.version + 1);
    } finally {
      await Promise.all(links.map((l) => l.close()));
    }
  });

  it('carry the proxy client across a certificate renewal: the new stream starts with a delta', { timeout: 10_000 }, async () => {
    // 2 s certificates: renewed about every second, each time on a new stream.
    const shortLived = await createTestPki(2000);
    const renewals: { node: string; delta: boolean }[] = [];
    const own = await startTestServer(shortLived, {
      log: { ...quietLog, debug: (msg, fields) => void (msg === 'push snapshot' && renewals.push({ node: String(fields?.node), delta: fields?.delta === true })) },
    });
    const node = nodeInfo('renewing', WEB);
    own.provider.snapshots.set(node.id, big('r1'));
    const certs: string[] = [];
    const { client } = startTestClient(own.server.port, shortLived, node, { onCertificate: (c) => void certs.push(c.serialNumber) });
    try {
      await client.firstSnapshot;
      await waitFor(() => certs.length >= 2 && renewals.length >= 2, 'a renewal and a push on its stream', 5000);
      assert.deepEqual(
        renewals.slice(0, 2).map((r) => r.delta),
        [false, true],
        'whole on the first stream, a delta on the renewed one',
      );
      await waitFor(() => own.server.status()[0]?.state === 'synced', 'the ACK on the new stream');
      assert.deepEqual(client.currentSnapshot(), big('r1'));
    } finally {
      await client.close();
      await own.server.close();
      await shortLived.close();
    }
  });

  it('never go to a proxy that did not say it accepts them', async () => {
    const node = nodeInfo('raw-full', WEB);
    ts.provider.snapshots.set(node.id, big('a'));
    const { link, messages } = await rawProxy(ts, pki, node, false);
    try {
      await waitFor(() => messages.length === 1, 'the first snapshot');
      ts.provider.set(node.id, big('b', 5));
      await waitFor(() => messages.length === 2, 'the second snapshot');
      assert.deepEqual(
        messages.map((m) => m.type),
        ['snapshot', 'snapshot'],
      );
    } finally {
      await link.close();
    }
  });

  it('are rebuilt by the proxy client into exactly the snapshots the provider gave', async () => {
    const node = nodeInfo('client-delta', WEB);
    ts.provider.snapshots.set(node.id, big('v0'));
    const { client, applied } = startTestClient(ts.server.port, pki, node);
    try {
      await client.firstSnapshot;
      const steps = [big('v1', 2), big('v2', 2, 3), big('v3', 7), { ...big('v4', 1), drainTimeoutMs: 100 }, big('v5', 1, 1)];
      for (const s of steps) {
        ts.provider.set(node.id, s);
        await waitFor(() => applied.at(-1)?.version === s.version, `snapshot ${s.version}`);
        assert.deepEqual(applied.at(-1), s);
        await waitFor(() => ts.server.status().find((p) => p.nodeId === node.id)?.state === 'synced', `ACK of ${s.version}`);
      }
      const mine = pushes.filter((p) => p.node === node.id);
      assert.equal(mine[0]?.delta, false, 'the first push is whole');
      assert.ok(mine.filter((p) => p.delta).length >= steps.length - 1, `deltas sent: ${JSON.stringify(mine)}`);
    } finally {
      await client.close();
    }
  });
});
