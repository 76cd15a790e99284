// Helpers for the CA room's tests: temporary directories, the real openssl CLI, and a real mutual
// TLS handshake between node:tls peers. Not a test file itself (name kept off node --test's patterns).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { verifyPeerIdentity, type PeerIdentity } from './spiffe.js';

export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'maille-ca-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run openssl; resolves with its exit code rather than throwing, so tests can assert failures. */
export function openssl(args: string[], cwd?: string): Promise<OpensslResult> {
  return new Promise((resolve) => {
    execFile('openssl', args, { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run openssl and fail with its stderr when it fails. */
export async function mustOpenssl(args: string[], cwd?: string): Promise<string> {
  const r = await openssl(args, cwd);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** `openssl verify` of a leaf against a CA file, with optional untrusted intermediates. */
export async function opensslVerify(dir: string, files: { caFile: string; leaf: string; chain?: string }): Promise<OpensslResult> {
  const leaf = path.join(dir, `leaf-${Math.random().toString(36).slice(2)}.pem`);
  const ca = path.join(dir, `ca-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(leaf, files.leaf);
  await writeFile(ca, files.caFile);
  const args = ['verify', '-CAfile', ca];
  if (files.chain) {
    const chain = path.join(dir, `chain-${Math.random().toString(36).slice(2)}.pem`);
    await writeFile(chain, files.chain);
    args.push('-untrusted', chain);
  }
  return openssl([...args, leaf]);
}

export interface TlsPeer {
  key: string;
  /** Leaf followed by its chain. */
  cert: string;
  /** Trust bundle. */
  ca: string;
}

export interface HandshakeResult {
  /** The client identity the server read, when the handshake succeeded. */
  serverSawClient?: PeerIdentity;
  /** The server identity the client read. */
  clientSawServer?: PeerIdentity;
  /** What the server received over the connection (proves application data flowed). */
  serverReceived?: string;
  /** What the client received back (the server answers 'bye' to a completed exchange). */
  clientReceived: string;
  serverError?: Error;
  /** Why the server refused the client's certificate (an OpenSSL code such as UNABLE_TO_GET_ISSUER_CERT_LOCALLY). */
  serverAuthorizationError?: string;
  clientError?: Error;
}

/**
 * One mutual-TLS exchange on loopback, configured as the sidecars will be: TLS 1.3, chain verified
 * against the bundle on both sides, then the peer's SPIFFE ID checked instead of a host name.
 */
export async function mtlsExchange(server: TlsPeer, client: TlsPeer, trustDomain: string): Promise<HandshakeResult> {
  const result: HandshakeResult = { clientReceived: '' };
  let serverDone!: () => void;
  const serverFinished = new Promise<void>((r) => (serverDone = r));
  const srv = tls.createServer(
    { key: server.key, cert: server.cert, ca: server.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
    (socket) => {
      try {
        result.serverSawClient = verifyPeerIdentity(socket.getPeerCertificate(), trustDomain);
      } catch (err) {
        result.serverError = err as Error;
        socket.destroy();
        serverDone();
        return;
      }
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (received += d));
      socket.on('end', () => {
        result.serverReceived = received;
        socket.end('bye');
        serverDone();
      });
      socket.on('error', () => serverDone());
    },
  );
  srv.on('tlsClientError', (err, socket) => {
    result.serverError = err;
    // node destroys an unauthorized client's socket without an error of its own; the reason is here.
    result.serverAuthorizationError = socket.authorizationError?.toString();
    serverDone();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  try {
    await new Promise<void>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        key: client.key,
        cert: client.cert,
        ca: client.ca,
        minVersion: 'TLSv1.3',
        // Mesh peers have no DNS names; the SPIFFE ID is what the client checks.
        checkServerIdentity: (_host, cert) => {
          try {
            result.clientSawServer = verifyPeerIdentity(cert, trustDomain);
            return undefined;
          } catch (err) {
            return err as Error;
          }
        },
      });
      socket.on('secureConnect', () => socket.end('hello'));
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (result.clientReceived += d));
      socket.on('error', (err) => {
        result.clientError = err;
        resolve();
      });
      socket.on('close', () => resolve());
    });
    // A server-side failure may surface after the client has given up: wait, but not forever.
    await Promise.race([serverFinished, new Promise((r) => setTimeout(r, 2000))]);
  } finally {
    await new Promise((r) => srv.close(r));
  }
  return result;
}
