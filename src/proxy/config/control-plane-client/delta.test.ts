// The client's side of delta pushes, against a scripted control plane (real TLS, real CA), so a
// test can send what a correct server never would: a delta on a version the proxy does not hold,
// a delta that does not apply.
import assert from 'node:assert/strict';
import http2, { type ServerHttp2Stream } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import type { Snapshot } from '../../../model/snapshot.js';
import { readBody } from '../../../control-plane/discovery/http-util.js';
import { LineSplitter } from '../../../control-plane/discovery/ndjson.js';
import {
  SIGN_PATH,
  STREAM_PATH,
  NDJSON,
  parseProxyMessage,
  parseSignRequest,
  type HelloMessage,
  type ProxyMessage,
} from '../../../control-plane/discovery/protocol.js';
import { CONTROL_PLANE, WEB, createTestPki, nodeInfo, startTestClient, waitFor, type TestPki } from '../../../control-plane/discovery/testing.js';

/** A control plane that signs any CSR as WEB and hands each discovery stream to the test. */
async function scriptedControlPlane(pki: TestPki): Promise<{ port: number; streams: { stream: ServerHttp2Stream; replies: ProxyMessage[] }[]; close(): Promise<void> }> {
  const own = await pki.issue(CONTROL_PLANE);
  const streams: { stream: ServerHttp2Stream; replies: ProxyMessage[] }[] = [];
  const server = http2.createSecureServer({ cert: own.certChainPem, key: own.privateKeyPem, ca: pki.trustBundlePem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  server.on('stream', (stream, headers) => {
    if (headers[':path'] === SIGN_PATH) {
      void readBody(stream, 1 << 20).then(async (text) => {
        const signed = await pki.signer.sign(parseSignRequest(text).csr, WEB);
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(JSON.stringify({ certChain: signed.certChainPem, trustBundle: signed.trustBundlePem }));
      });
      return;
    }
    if (headers[':path'] !== STREAM_PATH) return void stream.close();
    const entry = { stream, replies: [] as ProxyMessage[] };
    const splitter = new LineSplitter(1 << 20);
    stream.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) {
        const m = parseProxyMessage(line);
        if (m?.type === 'hello') {
          assert.equal((m as HelloMessage).acceptsDelta, true, 'the client says it takes deltas');
          stream.respond({ ':status': 200, 'content-type': NDJSON });
          streams.push(entry);
        } else if (m !== undefined) entry.replies.push(m);
      }
    });
    stream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    streams,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.stream.destroy();
        server.close(() => resolve());
      }),
  };
}

const send = (stream: ServerHttp2Stream, message: object): void => void stream.write(JSON.stringify(message) + '\n');
const clusters = (n: number, port = 9000): NonNullable<Snapshot['clusters']> => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, endpoints: [{ address: '127.0.0.1', port: port + i }] }));

describe('control-plane client: deltas', { timeout: 20_000 }, () => {
  let pki: TestPki;
  before(async () => {
    pki = await createTestPki();
  });
  after(() => pki.close());

  it('rebuilds a snapshot from a delta, NACKs one on another base or that does not apply, and keeps the last good', async () => {
    const cp = await scriptedControlPlane(pki);
    const { client, applied } = startTestClient(cp.port, pki, nodeInfo('web-delta', WEB));
    try {
      await waitFor(() => cp.streams.length === 1, 'the discovery stream', 10_000);
      const { stream, replies } = cp.streams[0];
      const first: Snapshot = { version: 's1', listeners: [], clusters: clusters(3) };
      send(stream, { type: 'snapshot', version: 1, snapshot: first });
      await waitFor(() => replies.length === 1, 'the first ACK');
      assert.deepEqual(replies[0], { type: 'ack', version: 1 });

      // A delta on version 1: cluster c1 changes, c3 is new.
      const second: Snapshot = { version: 's2', listeners: [], clusters: [...clusters(4)].map((c, i) => (i === 1 ? { ...c, endpoints: [{ address: '127.0.0.1', port: 7777 }] } : c)) };
      send(stream, {
        type: 'delta',
        version: 2,
        baseVersion: 1,
        delta: { set: { version: 's2' }, collections: { clusters: { names: ['c0', 'c1', 'c2', 'c3'], put: [second.clusters?.[1], second.clusters?.[3]] } } },
      });
      await waitFor(() => replies.length === 2, 'the ACK of the delta');
      assert.deepEqual(replies[1], { type: 'ack', version: 2 });
      assert.deepEqual(applied.at(-1), second);
      assert.deepEqual(client.currentSnapshot(), second);

      // A delta on a version the proxy does not hold.
      send(stream, { type: 'delta', version: 3, baseVersion: 1, delta: { set: { version: 's3' } } });
      await waitFor(() => replies.length === 3, 'the NACK of the mismatched delta');
      assert.equal(replies[2].type, 'nack');
      assert.equal(replies[2].version, 3);
      assert.equal((replies[2] as { error: string }).error, 'delta on version 1, but this proxy holds version 2');

      // A delta that does not apply (a new entry without the new order).
      send(stream, { type: 'delta', version: 4, baseVersion: 2, delta: { set: { version: 's4' }, collections: { clusters: { put: [{ name: 'c9', endpoints: [] }] } } } });
      await waitFor(() => replies.length === 4, 'the NACK of the delta that does not apply');
      assert.equal(replies[3].type, 'nack');
      assert.match((replies[3] as { error: string }).error, /delta\.collections\.clusters: adds "c9" without the new order/);
      assert.deepEqual(client.currentSnapshot(), second, 'the last good snapshot keeps serving');

      // What the server does next: a whole snapshot, then deltas on it again.
      const third: Snapshot = { version: 's5', listeners: [], clusters: clusters(2, 8000) };
      send(stream, { type: 'snapshot', version: 5, snapshot: third });
      send(stream, { type: 'delta', version: 6, baseVersion: 5, delta: { set: { version: 's6', drainTimeoutMs: 50 } } });
      const versionOf = (r: ProxyMessage): number | undefined => (r.type === 'hello' ? undefined : r.version);
      await waitFor(() => replies.some((r) => versionOf(r) === 6), 'the ACK of the delta on the whole snapshot');
      assert.deepEqual(replies.find((r) => versionOf(r) === 6), { type: 'ack', version: 6 });
      assert.deepEqual(client.currentSnapshot(), { ...third, version: 's6', drainTimeoutMs: 50 });
    } finally {
      await client.close();
      await cp.close();
    }
  });
});
