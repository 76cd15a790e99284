// The discovery server: per-proxy views, debouncing, and who may connect and sign. Real TLS, a
// real CA, the proxy's real client where a proxy is needed, raw calls where a misbehaving one is.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Snapshot } from '../../model/snapshot.js';
import { ControlPlaneError, type ControlPlaneClient } from '../../proxy/config/control-plane-client/client.js';
import { connectSession } from '../../proxy/config/control-plane-client/session.js';
import { callSign } from '../../proxy/config/control-plane-client/sign-call.js';
import { openStream } from '../../proxy/config/control-plane-client/stream-call.js';
import { createWorkloadKeyAndCsr } from '../ca/csr.js';
import { formatWorkloadId } from '../ca/spiffe.js';
import { controlPlaneSpiffeId, type NodeInfo } from './protocol.js';
import {
  API,
  CONTROL_PLANE,
  TRUST_DOMAIN,
  WEB,
  createTestPki,
  nodeInfo,
  sleep,
  snapshot,
  startTestClient,
  startTestServer,
  waitFor,
  type KeyPair,
  type TestPki,
  type TestServer,
} from './testing.js';

const CALL_TIMEOUT_MS = 2000;

function startProxy(ts: TestServer, pki: TestPki, node: NodeInfo, token: string): { client: ControlPlaneClient; applied: Snapshot[] } {
  return startTestClient(ts.server.port, pki, node, { bootstrapToken: token });
}

function session(ts: TestServer, pki: TestPki, cert?: KeyPair): Promise<ClientHttp2Session> {
  return connectSession({
    address: '127.0.0.1',
    port: ts.server.port,
    trustBundlePem: pki.trustBundlePem,
    controlPlaneId: controlPlaneSpiffeId(TRUST_DOMAIN),
    trustDomain: TRUST_DOMAIN,
    timeoutMs: CALL_TIMEOUT_MS,
    ...(cert ? { certChainPem: cert.certChainPem, privateKeyPem: cert.privateKeyPem } : {}),
  });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ControlPlaneError, `expected a ControlPlaneError, got ${String(err)}`);
  return { code: err.code, message: err.message };
}

const noHandlers = { onMessage() {}, onClosed() {} };

describe('discovery server', { timeout: 20_000 }, () => {
  let pki: TestPki;
  let ts: TestServer;
  before(async () => {
    pki = await createTestPki();
    ts = await startTestServer(pki);
  });
  after(async () => {
    await ts.server.close();
    await pki.close();
  });

  it('sends a change for one proxy to that proxy only', { timeout: 5000 }, async () => {
    const a = startProxy(ts, pki, nodeInfo('views-a', WEB), 'token-web');
    const b = startProxy(ts, pki, nodeInfo('views-b', API), 'token-api');
    try {
      await Promise.all([a.client.firstSnapshot, b.client.firstSnapshot]);
      assert.equal(ts.provider.computed.get('views-b'), 1);
      ts.provider.set('views-a', snapshot('a2'));
      await waitFor(() => a.applied.length === 2, 'the change to reach a');
      await sleep(200); // two debounce periods: anything meant for b would have been sent
      assert.deepEqual(b.applied.map((s) => s.version), ['initial-views-b']);
      assert.equal(ts.provider.computed.get('views-b'), 1, "b's snapshot was not even recomputed");
      const status = new Map(ts.server.status().map((s) => [s.nodeId, s]));
      assert.equal(status.get('views-a')?.lastSentVersion, 2);
      assert.equal(status.get('views-b')?.lastSentVersion, 1);
    } finally {
      await Promise.all([a.client.close(), b.client.close()]);
    }
  });

  it('coalesces a burst of 50 changes into one push', { timeout: 5000 }, async () => {
    const a = startProxy(ts, pki, nodeInfo('burst', WEB), 'token-web');
    try {
      await a.client.firstSnapshot;
      for (let i = 1; i <= 50; i++) {
        ts.provider.set('burst', snapshot(`burst-${i}`));
        if (i % 10 === 0) await sleep(5); // spread over a few ms, all within the 100 ms window
      }
      await waitFor(() => a.client.currentSnapshot()?.version === 'burst-50', 'the burst to arrive');
      await sleep(250);
      assert.deepEqual(a.applied.map((s) => s.version), ['initial-burst', 'burst-50']);
      const status = ts.server.status().find((s) => s.nodeId === 'burst');
      assert.equal(status?.lastSentVersion, 2);
    } finally {
      await a.client.close();
    }
  });

  it('tells the registry when a proxy connects and when it leaves', { timeout: 5000 }, async () => {
    const a = startProxy(ts, pki, nodeInfo('registry-a', WEB), 'token-web');
    await a.client.firstSnapshot;
    assert.ok(ts.connected.includes('registry-a'));
    await a.client.close();
    await waitFor(() => ts.disconnected.includes('registry-a'), 'the disconnect');
    assert.equal(ts.server.status().find((s) => s.nodeId === 'registry-a'), undefined);
  });

  it('refuses a wrong bootstrap token, and a call with no credentials at all', { timeout: 5000 }, async () => {
    const s = await session(ts, pki);
    try {
      const { csrPem } = await createWorkloadKeyAndCsr();
      assert.deepEqual(await refusal(callSign(s, csrPem, 'not-a-token', CALL_TIMEOUT_MS)), {
        code: 'MAILLE_ERR_UNAUTHENTICATED',
        message: 'certificate request refused: bootstrap token not accepted',
      });
      assert.deepEqual(await refusal(callSign(s, csrPem, undefined, CALL_TIMEOUT_MS)), {
        code: 'MAILLE_ERR_UNAUTHENTICATED',
        message: 'certificate request refused: no client certificate and no bootstrap token (authorization: Bearer <token>)',
      });
    } finally {
      s.close();
    }
  });

  it("issues a token's own identity and refuses a CSR naming another", { timeout: 5000 }, async () => {
    const s = await session(ts, pki);
    try {
      const asksForApi = await createWorkloadKeyAndCsr({ spiffeId: formatWorkloadId(API) });
      assert.deepEqual(await refusal(callSign(s, asksForApi.csrPem, 'token-web', CALL_TIMEOUT_MS)), {
        code: 'MAILLE_ERR_PERMISSION_DENIED',
        message:
          'certificate request refused: CSR asks for spiffe://cluster.local/ns/default/sa/api, but the caller is authenticated as spiffe://cluster.local/ns/default/sa/web; a workload can only obtain its own identity',
      });
      // A CSR that names nothing gets the token's identity, whatever the caller hoped for.
      const anonymous = await createWorkloadKeyAndCsr();
      const issued = await callSign(s, anonymous.csrPem, 'token-web', CALL_TIMEOUT_MS);
      assert.equal(new X509Certificate(issued.certChain).subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/web');
      assert.match(issued.trustBundle, /BEGIN CERTIFICATE/);
    } finally {
      s.close();
    }
  });

  it('refuses a client certificate from another CA, with OpenSSL\'s reason', { timeout: 5000 }, async () => {
    const other = await createTestPki();
    try {
      const foreign = await other.issue(WEB);
      const hello = { type: 'hello' as const, node: nodeInfo('foreign', WEB), lastVersion: 0 };
      const expected = {
        code: 'MAILLE_ERR_UNAUTHENTICATED',
        message: 'discovery stream refused: client certificate refused: not issued by a CA in the trust bundle (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      };
      assert.deepEqual(await refusal(openStream(await session(ts, pki, foreign), hello, noHandlers, CALL_TIMEOUT_MS)), expected);
      // Nor does a valid token rescue a connection that presented a bad certificate.
      const s = await session(ts, pki, foreign);
      try {
        const { csrPem } = await createWorkloadKeyAndCsr();
        const err = await refusal(callSign(s, csrPem, 'token-web', CALL_TIMEOUT_MS));
        assert.equal(err.message, 'certificate request refused: client certificate refused: not issued by a CA in the trust bundle (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
      } finally {
        s.close();
      }
      assert.equal(ts.server.status().find((p) => p.nodeId === 'foreign'), undefined);
    } finally {
      await other.close();
    }
  });

  it('opens the stream only with a certificate, and only for the identity in it', { timeout: 5000 }, async () => {
    // A bootstrap token does not open a stream.
    const plain = await session(ts, pki);
    const req = plain.request({ ':method': 'POST', ':path': '/maille.discovery.v1/Stream', authorization: 'Bearer token-web' });
    req.end();
    const [status, body] = await new Promise<[number, string]>((resolve) => {
      let text = '';
      let code = 0;
      req.on('response', (h) => (code = Number(h[':status'])));
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('close', () => resolve([code, text]));
    });
    plain.close();
    assert.equal(status, 401);
    assert.deepEqual(JSON.parse(body), {
      error: { code: 'MAILLE_ERR_UNAUTHENTICATED', message: 'the discovery stream needs a client certificate; a bootstrap token only obtains one (Sign)' },
    });

    // A web certificate cannot say hello as api.
    const web = await pki.issue(WEB);
    const hello = { type: 'hello' as const, node: nodeInfo('impostor', API), lastVersion: 0 };
    assert.deepEqual(await refusal(openStream(await session(ts, pki, web), hello, noHandlers, CALL_TIMEOUT_MS)), {
      code: 'MAILLE_ERR_PERMISSION_DENIED',
      message:
        'discovery stream refused: hello says namespace default, service account api, but the caller is authenticated as spiffe://cluster.local/ns/default/sa/web',
    });

    // Nor take over the node id of a connected proxy of another identity.
    const api = startProxy(ts, pki, nodeInfo('taken', API), 'token-api');
    try {
      await api.client.firstSnapshot;
      const takeover = { type: 'hello' as const, node: nodeInfo('taken', WEB), lastVersion: 0 };
      assert.deepEqual(await refusal(openStream(await session(ts, pki, web), takeover, noHandlers, CALL_TIMEOUT_MS)), {
        code: 'MAILLE_ERR_PERMISSION_DENIED',
        message: 'discovery stream refused: node id taken is already connected as spiffe://cluster.local/ns/default/sa/api',
      });
      assert.equal(api.client.status().connected, true);
    } finally {
      await api.client.close();
    }
  });

  it('resets a stream that breaks the protocol after the hello', { timeout: 5000 }, async () => {
    const web = await pki.issue(WEB);
    const s = await session(ts, pki, web);
    const closed = new Promise<string>((resolve) => {
      void openStream(s, { type: 'hello', node: nodeInfo('rude', WEB), lastVersion: 0 }, { onMessage() {}, onClosed: (_l, reason) => resolve(reason) }, CALL_TIMEOUT_MS).then(
        (link) => link.send({ type: 'hello', node: nodeInfo('rude', WEB) }),
      );
    });
    // The server ends its side, then resets; the client sees the end first and reconnects either way.
    assert.equal(await closed, 'the control plane ended the stream');
    await waitFor(() => ts.server.status().every((p) => p.nodeId !== 'rude'), 'the stream to be dropped');
  });

  it('takes a renewed SVID for new handshakes and stays TLS 1.3 only', { timeout: 5000 }, async () => {
    const served = async (): Promise<string> => {
      const s = await session(ts, pki);
      try {
        return (s.socket as TLSSocket).getPeerCertificate().serialNumber;
      } finally {
        s.close();
      }
    };
    const before = await served();
    const renewed = await pki.issue(CONTROL_PLANE);
    ts.server.updateCredentials({ certChainPem: renewed.certChainPem, keyPem: renewed.privateKeyPem });
    assert.equal(await served(), new X509Certificate(renewed.certChainPem).serialNumber);
    assert.notEqual(before, new X509Certificate(renewed.certChainPem).serialNumber);
    const tls12 = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: ts.server.port, maxVersion: 'TLSv1.2', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    assert.equal(tls12, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('names the port when it is already in use', { timeout: 5000 }, async () => {
    await assert.rejects(startTestServer(pki, { port: ts.server.port }), {
      message: `discovery: port ${ts.server.port} on 127.0.0.1 is already in use; stop what holds it or give the control plane another discovery port`,
    });
  });
});
