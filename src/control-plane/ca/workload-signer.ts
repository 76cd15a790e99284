// The control plane's answer to a Sign call: bind the request to a node (issued-records.ts), issue
// from the live CA (live-authority.ts), and record what was issued to whom.
import type { CsrSigner, SignRequestContext, SignedCertificate } from '../discovery/types.js';
import { fingerprintOf } from './describe.js';
import { signWorkloadCsr } from './issue.js';
import { IssuedRecords, nodeForSigning } from './issued-records.js';
import type { LiveAuthority } from './live-authority.js';
import type { WorkloadIdentity } from './types.js';

export interface WorkloadSignerOptions {
  live: LiveAuthority;
  records: IssuedRecords;
  /** The node a bootstrap token was issued for. */
  nodeOfToken(token: string): string | undefined;
  /** The identity a known node runs as; undefined for a node this control plane does not know. */
  identityOfNode(nodeId: string): WorkloadIdentity | undefined;
}

export function createWorkloadSigner(opts: WorkloadSignerOptions): CsrSigner {
  return {
    async sign(csrPem: string, identity: WorkloadIdentity, request: SignRequestContext = { via: 'token' }): Promise<SignedCertificate> {
      const nodeId = nodeForSigning(
        {
          via: request.via,
          ...(request.nodeId !== undefined ? { nodeId: request.nodeId } : {}),
          ...(request.bearerToken !== undefined ? { tokenNodeId: opts.nodeOfToken(request.bearerToken) } : {}),
          ...(request.peerSerial !== undefined ? { peerSerial: request.peerSerial } : {}),
        },
        identity,
        opts.identityOfNode,
        opts.records,
      );
      const ca = opts.live.authority();
      const issued = await signWorkloadCsr(ca, csrPem, identity, opts.live.svidTtlMs);
      if (nodeId !== undefined) {
        opts.records.record({
          nodeId,
          spiffeId: issued.spiffeId,
          serialNumber: issued.serialNumber,
          notBefore: issued.notBefore.toISOString(),
          notAfter: issued.notAfter.toISOString(),
          issuedAt: new Date().toISOString(),
          rootFingerprint: fingerprintOf(ca.signer.root.rawData),
          certificateChainPem: issued.certificateChainPem,
        });
      }
      return { certChainPem: issued.certificateChainPem, trustBundlePem: issued.trustBundlePem };
    },
  };
}
