// The proxy's control-plane client against a real discovery server, real TLS and a real CA.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Snapshot } from '../../../model/snapshot.js';
import {
  API,
  TRUST_DOMAIN,
  WEB,
  createTestPki,
  nodeInfo,
  quietLog,
  snapshot,
  startTestServer,
  waitFor,
  type TestPki,
  type TestServer,
} from '../../../control-plane/discovery/testing.js';
import type { Identity } from '../../../control-plane/discovery/types.js';
import { connectControlPlane, type ControlPlaneClient, type ControlPlaneClientOptions } from './client.js';

interface TestClient {
  client: ControlPlaneClient;
  applied: Snapshot[];
}

function startClient(pki: TestPki, port: number, nodeId: string, identity: Identity, token: string, extra: Partial<ControlPlaneClientOptions> = {}): TestClient {
  const applied: Snapshot[] = [];
  const client = connectControlPlane({
    address: '127.0.0.1',
    port,
    trustBundlePem: pki.trustBundlePem,
    bootstrapToken: token,
    node: nodeInfo(nodeId, identity),
    onSnapshot: (s) => {
      applied.push(s);
    },
    log: quietLog,
    trustDomain: TRUST_DOMAIN,
    backoff: { initialMs: 20, maxMs: 200 },
    ...extra,
  });
  return { client, applied };
}

describe('control-plane client', { timeout: 20_000 }, () => {
  let pki: TestPki;
  before(async () => {
    pki = await createTestPki();
  });
  after(() => pki.close());

  it('gets a certificate with its token, receives its snapshot and ACKs it', { timeout: 5000 }, async () => {
    const ts = await startTestServer(pki);
    ts.provider.snapshots.set('web-1', snapshot('s1'));
    const { client, applied } = startClient(pki, ts.server.port, 'web-1', WEB, 'token-web');
    try {
      assert.equal((await client.firstSnapshot).version, 's1');
      await waitFor(() => ts.server.status()[0]?.state === 'synced', 'the ACK');
      const [status] = ts.server.status();
      assert.equal(status.nodeId, 'web-1');
      assert.equal(status.spiffeId, 'spiffe://cluster.local/ns/default/sa/web');
      assert.equal(status.lastSentVersion, 1);
      assert.equal(status.lastAckedVersion, 1);
      assert.equal(status.lastNack, undefined);
      assert.ok(Date.parse(status.connectedSince) <= Date.now());
      assert.deepEqual(ts.connected, ['web-1']);
      assert.deepEqual(applied.map((s) => s.version), ['s1']);
      const cert = client.currentCertificate();
      assert.equal(cert?.spiffeId, 'spiffe://cluster.local/ns/default/sa/web');
      assert.match(cert?.privateKeyPem ?? '', /BEGIN PRIVATE KEY/);
      assert.deepEqual(client.status(), { connected: true, appliedVersion: 1 });
    } finally {
      await client.close();
      await ts.server.close();
    }
  });

  it('NACKs an invalid snapshot with the reason and keeps serving the previous one', { timeout: 5000 }, async () => {
    const ts = await startTestServer(pki, { debounceMs: 10 });
    ts.provider.snapshots.set('web-1', snapshot('s1'));
    let refuse = false;
    const { client, applied } = startClient(pki, ts.server.port, 'web-1', WEB, 'token-web', {
      onSnapshot: (s) => {
        if (refuse) throw new Error('listener outbound: port 15001 already in use');
        applied.push(s);
      },
    });
    try {
      await client.firstSnapshot;
      ts.provider.set('web-1', { version: 's2', listeners: [{ name: 'l', port: 99999 }] });
      await waitFor(() => ts.server.status()[0]?.state === 'nacked', 'the NACK of an invalid snapshot');
      let [status] = ts.server.status();
      assert.deepEqual(
        { sent: status.lastSentVersion, acked: status.lastAckedVersion, nack: status.lastNack?.version },
        { sent: 2, acked: 1, nack: 2 },
      );
      assert.equal(status.lastNack?.error, 'control plane: listeners[0].port: must be an integer from 0 to 65535 (got 99999)');
      assert.equal(client.currentSnapshot()?.version, 's1');

      // Valid, but the proxy cannot apply it: NACKed with the proxy's own reason.
      refuse = true;
      ts.provider.set('web-1', snapshot('s3'));
      await waitFor(() => ts.server.status()[0]?.lastNack?.version === 3, 'the NACK of an unappliable snapshot');
      [status] = ts.server.status();
      assert.equal(status.lastNack?.error, 'listener outbound: port 15001 already in use');
      assert.equal(status.state, 'nacked');
      assert.equal(client.currentSnapshot()?.version, 's1');
      assert.deepEqual(applied.map((s) => s.version), ['s1']);
    } finally {
      await client.close();
      await ts.server.close();
    }
  });

  it('keeps its snapshot while the control plane is down and resyncs when it is back on the same port', { timeout: 5000 }, async () => {
    let ts: TestServer = await startTestServer(pki);
    const port = ts.server.port;
    ts.provider.snapshots.set('web-1', snapshot('s1'));
    const { client, applied } = startClient(pki, port, 'web-1', WEB, 'token-web');
    try {
      await client.firstSnapshot;
      await ts.server.close();
      await waitFor(() => !client.status().connected, 'the client to notice the control plane is gone');
      assert.equal(client.currentSnapshot()?.version, 's1');
      assert.match(client.status().lastError ?? '', /control plane/);

      // Back, computing the same snapshot: the proxy ACKs without applying anything again.
      ts = await startTestServer(pki, { port, debounceMs: 10 });
      ts.provider.snapshots.set('web-1', snapshot('s1'));
      await waitFor(() => ts.server.status()[0]?.state === 'synced', 'the resync');
      // Versions stay monotonic across control-plane restarts (hello.lastVersion).
      assert.equal(ts.server.status()[0].lastAckedVersion, 2);
      assert.deepEqual(applied.map((s) => s.version), ['s1']);

      ts.provider.set('web-1', snapshot('s2'));
      await waitFor(() => client.currentSnapshot()?.version === 's2', 'the new snapshot after the restart');
      await waitFor(() => ts.server.status()[0]?.lastAckedVersion === 3, 'its ACK');
      assert.deepEqual(applied.map((s) => s.version), ['s1', 's2']);
    } finally {
      await client.close();
      await ts.server.close();
    }
  });

  it('is refused with a wrong token and says why', { timeout: 5000 }, async () => {
    const ts = await startTestServer(pki);
    const { client } = startClient(pki, ts.server.port, 'web-1', WEB, 'not-a-token');
    try {
      await waitFor(() => client.status().lastError !== undefined, 'the refusal');
      assert.equal(client.status().lastError, 'certificate request refused: bootstrap token not accepted');
      assert.equal(client.currentCertificate(), undefined);
      assert.equal(client.currentSnapshot(), undefined);
      assert.deepEqual(ts.server.status(), []);
    } finally {
      await client.close();
      await ts.server.close();
    }
  });

  it("cannot get another identity's certificate with its token", { timeout: 5000 }, async () => {
    const ts = await startTestServer(pki);
    // A proxy claiming to be api while holding web's token.
    const { client } = startClient(pki, ts.server.port, 'api-1', API, 'token-web');
    try {
      await waitFor(() => client.status().lastError !== undefined, 'the refusal');
      assert.equal(
        client.status().lastError,
        'certificate request refused: CSR asks for spiffe://cluster.local/ns/default/sa/api, but the caller is authenticated as spiffe://cluster.local/ns/default/sa/web; a workload can only obtain its own identity',
      );
      assert.equal(client.currentCertificate(), undefined);
    } finally {
      await client.close();
      await ts.server.close();
    }
  });

  it('renews its certificate at half-life and moves to a new stream without dropping its snapshot', { timeout: 5000 }, async () => {
    // 2 s certificates: renewed about every second (see renewDelayMs).
    const shortLived = await createTestPki(2000);
    const ts = await startTestServer(shortLived);
    ts.provider.snapshots.set('web-1', snapshot('s1'));
    const certs: string[] = [];
    const { client, applied } = startClient(shortLived, ts.server.port, 'web-1', WEB, 'token-web', {
      onCertificate: (c) => certs.push(c.serialNumber),
    });
    try {
      await client.firstSnapshot;
      await waitFor(() => ts.server.status()[0]?.state === 'synced', 'the first ACK');
      const firstStream = ts.server.status()[0];
      await waitFor(() => certs.length >= 2, 'a renewal', 3000);
      assert.notEqual(certs[1], certs[0]);
      await waitFor(() => (ts.server.status()[0]?.lastAckedVersion ?? 0) >= 2, 'the new stream to be synced');
      const [status] = ts.server.status();
      assert.notEqual(status.peer, firstStream.peer, 'a new connection, made with the new certificate');
      assert.equal(client.currentSnapshot()?.version, 's1');
      assert.deepEqual(applied.map((s) => s.version), ['s1'], 'the same snapshot is not applied again');
      // Replaced, not gone: the registry never saw the proxy leave.
      assert.deepEqual(ts.disconnected, []);
      assert.equal(client.currentCertificate()?.serialNumber, certs[certs.length - 1]);
    } finally {
      await client.close();
      await ts.server.close();
      await shortLived.close();
    }
  });

  it('takes a trust bundle pushed with a snapshot before ACKing it, and NACKs one that is not PEM', { timeout: 5000 }, async () => {
    const ts = await startTestServer(pki, { debounceMs: 10 });
    ts.provider.snapshots.set('web-1', snapshot('s1'));
    const bundles: string[] = [];
    const { client } = startClient(pki, ts.server.port, 'web-1', WEB, 'token-web', { onCertificate: (c) => bundles.push(c.trustBundlePem) });
    try {
      await client.firstSnapshot;
      // A second root (another PKI's) joins the bundle, as during a root rotation's overlap.
      const other = await createTestPki();
      const both = pki.trustBundlePem + other.trustBundlePem;
      await other.close();
      ts.provider.set('web-1', { ...snapshot('s2'), trustBundlePem: both });
      await waitFor(() => ts.server.status()[0]?.lastAckedVersion === 2, 'the ACK of the snapshot with the bundle');
      assert.equal(bundles[bundles.length - 1], both, 'the mesh TLS contexts got both roots');
      assert.equal(client.currentCertificate()?.trustBundlePem, both);

      ts.provider.set('web-1', { ...snapshot('s3'), trustBundlePem: 'not a certificate' });
      await waitFor(() => ts.server.status()[0]?.lastNack?.version === 3, 'the NACK of a bad bundle');
      assert.equal(ts.server.status()[0].lastNack?.error, 'trustBundlePem: holds no PEM certificate');
      assert.equal(client.currentCertificate()?.trustBundlePem, both, 'the bundle in force is kept');
    } finally {
      await client.close();
      await ts.server.close();
    }
  });

  it('refuses a control plane whose certificate names another identity', { timeout: 5000 }, async () => {
    // Any workload's SVID chains to the mesh root; it must not be able to pose as the control plane.
    const impostorCert = await pki.issue(API);
    const ts = await startTestServer(pki, { certChainPem: impostorCert.certChainPem, keyPem: impostorCert.privateKeyPem });
    const { client } = startClient(pki, ts.server.port, 'web-1', WEB, 'token-web');
    try {
      await waitFor(() => client.status().lastError !== undefined, 'the refusal');
      assert.equal(
        client.status().lastError,
        `cannot connect to the control plane at 127.0.0.1:${ts.server.port}: the control plane presented identity spiffe://cluster.local/ns/default/sa/api, expected spiffe://cluster.local/ns/istio-system/sa/maille-control-plane`,
      );
      assert.equal(client.currentCertificate(), undefined, 'the token was never sent to it');
    } finally {
      await client.close();
      await ts.server.close();
    }
  });
});
