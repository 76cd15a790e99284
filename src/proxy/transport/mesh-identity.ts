// This proxy's workload identity for mesh mTLS: its SVID (certificate chain + private key) and
// the trust bundle, turned into TLS contexts once per certificate (not per connection).
//
// The certificate comes from the control plane (renewed at half-life) or from files in
// standalone mode; `update` swaps in a new one. Connections already open keep the certificate
// they were made with; new ones use the new contexts.
import type { ConnectionOptions, PeerCertificate, SecureContext } from 'node:tls';
import { nodeTls } from './node-tls.js';
import { verifyPeerIdentity } from '../../control-plane/ca/spiffe.js';
import type { ClusterMtls } from '../../model/snapshot.js';

export interface WorkloadCertificate {
  /** Leaf first, then intermediates (not the root). */
  certificateChainPem: string;
  privateKeyPem: string;
  /** Every root the mesh trusts now (more than one during a root rotation). */
  trustBundlePem: string;
  trustDomain: string;
}

export class MeshIdentity {
  private cert!: WorkloadCertificate;
  private context!: SecureContext;
  private readonly listeners: (() => void)[] = [];

  constructor(cert: WorkloadCertificate) {
    this.update(cert);
  }

  get trustDomain(): string {
    return this.cert.trustDomain;
  }

  /** One context serves both sides: our chain and key, and the bundle to verify peers with. */
  get secureContext(): SecureContext {
    return this.context;
  }

  update(cert: WorkloadCertificate): void {
    this.context = nodeTls().createSecureContext({
      cert: cert.certificateChainPem,
      key: cert.privateKeyPem,
      ca: cert.trustBundlePem,
      minVersion: 'TLSv1.3',
    });
    this.cert = cert;
    for (const l of this.listeners) l();
  }

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  /** Options for tls.connect to an endpoint of a cluster with `mtls`. */
  clientOptions(mtls: ClusterMtls, alpn: string[]): ConnectionOptions {
    const allowed = mtls.subjectAltNames;
    const trustDomain = this.cert.trustDomain;
    return {
      secureContext: this.context,
      servername: mtls.sni,
      ALPNProtocols: alpn,
      // Mesh peers are named by SPIFFE ID, not DNS: check the URI SAN instead of the host name.
      checkServerIdentity: (_host: string, peer: PeerCertificate) => {
        try {
          const id = verifyPeerIdentity(peer, trustDomain);
          if (allowed && allowed.length > 0 && !allowed.includes(id.uri)) {
            return new Error(`server identity ${id.uri} is not one of ${allowed.join(', ')}`);
          }
          return undefined;
        } catch (err) {
          return err as Error;
        }
      },
    };
  }
}
