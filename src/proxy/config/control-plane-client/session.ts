// One TLS 1.3 + HTTP/2 connection to the control plane. The control plane is authenticated by its
// SPIFFE ID (its SVID has a URI SAN, no DNS name), checked against the proxy's trust bundle.
import http2, { type ClientHttp2Session } from 'node:http2';
import type { PeerCertificate } from 'node:tls';
import { verifyPeerIdentity } from '../../../control-plane/ca/spiffe.js';

export interface SessionOptions {
  address: string;
  port: number;
  trustBundlePem: string;
  /** The control plane's expected SPIFFE ID. */
  controlPlaneId: string;
  trustDomain: string;
  /** The proxy's SVID, for mTLS; absent when bootstrapping with a token. */
  certChainPem?: string;
  privateKeyPem?: string;
  timeoutMs: number;
  /** Aborting destroys the session, whether it is still connecting or long established. */
  signal?: AbortSignal;
}

export function connectSession(opts: SessionOptions): Promise<ClientHttp2Session> {
  const host = opts.address.includes(':') ? `[${opts.address}]` : opts.address;
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://${host}:${opts.port}`, {
      ca: opts.trustBundlePem,
      ...(opts.certChainPem !== undefined && opts.privateKeyPem !== undefined ? { cert: opts.certChainPem, key: opts.privateKeyPem } : {}),
      minVersion: 'TLSv1.3',
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkControlPlane(cert, opts),
    });
    if (opts.signal !== undefined) {
      const signal = opts.signal;
      const abort = (): void => {
        session.destroy();
        reject(new Error('control plane client closed'));
      };
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
      session.once('close', () => signal.removeEventListener('abort', abort));
    }
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no TLS connection to the control plane at ${host}:${opts.port} within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    session.once('close', () => {
      clearTimeout(timer);
      // No effect once connected; before that, a close without an error must not leave us waiting.
      reject(new Error(`the connection to the control plane at ${host}:${opts.port} closed during the handshake`));
    });
    session.once('connect', () => {
      clearTimeout(timer);
      session.off('error', onError);
      // From here on errors end the session ('close'), which its users watch; keep them from crashing.
      session.on('error', () => {});
      resolve(session);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      session.destroy();
      reject(new Error(`cannot connect to the control plane at ${host}:${opts.port}: ${err.message}`));
    };
    session.once('error', onError);
  });
}

function checkControlPlane(cert: PeerCertificate, opts: SessionOptions): Error | undefined {
  try {
    const id = verifyPeerIdentity(cert, opts.trustDomain);
    // Any workload's SVID chains to the same root; only the control plane's own identity will do.
    if (id.uri !== opts.controlPlaneId) return new Error(`the control plane presented identity ${id.uri}, expected ${opts.controlPlaneId}`);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** Close gracefully, but do not wait forever for a peer that is gone. */
export function closeSession(session: ClientHttp2Session): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => session.destroy(), 1000);
    session.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    session.close();
  });
}
