// The proxy run by a control plane: it gets its certificate (bootstrap token → CSR → SVID) and
// its snapshots over the discovery stream. The first snapshot starts the data plane; later ones
// are swapped in, and a refused one is NACKed with the reason while the last good one serves.
// A renewed certificate is swapped into the mesh TLS contexts without touching open connections.
import type { NodeInfo } from '../../control-plane/discovery/protocol.js';
import { connectControlPlane, type ControlPlaneClient } from '../config/control-plane-client/client.js';
import type { WorkloadCertificate as ClientCertificate } from '../config/control-plane-client/certificate.js';
import { createLogger } from '../telemetry/log.js';
import { MeshIdentity, type WorkloadCertificate } from '../transport/mesh-identity.js';
import { startProxy, type ProxyHandle } from './proxy.js';

const log = createLogger('xds');

export interface ControlPlaneModeOptions {
  address: string;
  port: number;
  trustBundlePem: string;
  trustDomain: string;
  bootstrapToken: string;
  node: NodeInfo;
  adminPort: number;
  adminAddress: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface ControlPlaneModeHandle {
  /** Resolves with the data plane once the first snapshot is applied. */
  readonly proxy: Promise<ProxyHandle>;
  readonly client: ControlPlaneClient;
  close(): Promise<void>;
}

function toMeshCertificate(c: ClientCertificate, trustDomain: string): WorkloadCertificate {
  return { certificateChainPem: c.certChainPem, privateKeyPem: c.privateKeyPem, trustBundlePem: c.trustBundlePem, trustDomain };
}

export function runWithControlPlane(opts: ControlPlaneModeOptions): ControlPlaneModeHandle {
  let handle: ProxyHandle | undefined;
  let identity: MeshIdentity | undefined;
  let resolveProxy!: (h: ProxyHandle) => void;
  const proxy = new Promise<ProxyHandle>((r) => (resolveProxy = r));
  const client: ControlPlaneClient = connectControlPlane({
    address: opts.address,
    port: opts.port,
    trustBundlePem: opts.trustBundlePem,
    trustDomain: opts.trustDomain,
    bootstrapToken: opts.bootstrapToken,
    node: opts.node,
    log,
    onCertificate: (cert) => {
      if (identity) identity.update(toMeshCertificate(cert, opts.trustDomain));
    },
    onSnapshot: async (snapshot) => {
      if (!handle) {
        const cert = client.currentCertificate();
        if (!cert) throw new Error('no workload certificate yet');
        identity = new MeshIdentity(toMeshCertificate(cert, opts.trustDomain));
        handle = await startProxy({ snapshot, identity, adminPort: opts.adminPort, adminAddress: opts.adminAddress, logLevel: opts.logLevel });
        resolveProxy(handle);
        return;
      }
      const r = await handle.applySnapshot(snapshot);
      if (!r.applied) throw new Error(r.error ?? 'snapshot refused');
    },
  });
  return {
    proxy,
    client,
    async close() {
      await client.close();
      if (handle) await handle.drain();
    },
  };
}
