// Which certificate each proxy holds, and which proxy a certificate was issued to.
//
// Proxies of one service account share a SPIFFE ID, so the identity alone does not say whose
// certificate is whose. The Sign call names the node; the node is bound to the caller's evidence
// (its bootstrap token, or the certificate it renews with) before anything is issued, so a proxy can
// neither obtain another node's certificate nor have its own recorded under another node's name.
import type { WorkloadIdentity } from './types.js';
import { formatWorkloadId } from './spiffe.js';

/** The certificate last issued to one proxy: public facts and chain only, never a key. */
export interface IssuedRecord {
  nodeId: string;
  spiffeId: string;
  serialNumber: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  /** SHA-256 fingerprint of the root the chain ends at. */
  rootFingerprint: string;
  /** Leaf first, then intermediates (PEM). */
  certificateChainPem: string;
}

/** Serials in one spelling: node:tls says "0A1B…", @peculiar/x509 "0a1b…", either may keep a leading 00. */
export function normalizeSerial(serial: string): string {
  return serial.toUpperCase().replace(/^(00)+(?=..)/, '');
}

export class IssuedRecords {
  private readonly byNode = new Map<string, IssuedRecord>();
  /** The current and the previous serial of each node: a renewal may still present the previous one. */
  private readonly nodeBySerial = new Map<string, string>();
  private readonly previousSerial = new Map<string, string>();

  record(r: IssuedRecord): void {
    const before = this.byNode.get(r.nodeId);
    if (before !== undefined) {
      const older = this.previousSerial.get(r.nodeId);
      if (older !== undefined) this.nodeBySerial.delete(older);
      this.previousSerial.set(r.nodeId, normalizeSerial(before.serialNumber));
    }
    this.byNode.set(r.nodeId, r);
    this.nodeBySerial.set(normalizeSerial(r.serialNumber), r.nodeId);
  }

  get(nodeId: string): IssuedRecord | undefined {
    return this.byNode.get(nodeId);
  }

  nodeOfSerial(serial: string): string | undefined {
    return this.nodeBySerial.get(normalizeSerial(serial));
  }
}

/** What the Sign call knows about who asks. */
export interface SignEvidence {
  /** The node the request names (absent from proxies that predate it). */
  nodeId?: string;
  via: 'token' | 'certificate';
  /** The node the bootstrap token was issued for (token callers). */
  tokenNodeId?: string;
  /** Serial of the client certificate the caller presented (certificate callers). */
  peerSerial?: string;
}

export class NodeBindingError extends Error {
  readonly code = 'MAILLE_ERR_PERMISSION_DENIED';
  constructor(message: string) {
    super(message);
    this.name = 'NodeBindingError';
  }
}

/**
 * The node a certificate is being issued to, or undefined when it cannot be told (a certificate
 * caller that names no node, or one issued by an earlier control-plane process for a node this one
 * does not know yet): then the certificate is issued but recorded for no node.
 * Throws NodeBindingError when the request names a node the caller's evidence does not allow.
 */
export function nodeForSigning(
  evidence: SignEvidence,
  caller: WorkloadIdentity,
  expectedIdentity: (nodeId: string) => WorkloadIdentity | undefined,
  records: IssuedRecords,
): string | undefined {
  const callerId = formatWorkloadId(caller);
  const named = evidence.nodeId;
  if (evidence.via === 'token') {
    if (named !== undefined && evidence.tokenNodeId !== undefined && named !== evidence.tokenNodeId) {
      throw new NodeBindingError(`the bootstrap token was issued for node ${evidence.tokenNodeId}, not ${named}; a proxy can only obtain its own node's certificate`);
    }
    return evidence.tokenNodeId ?? checkedNode(named, callerId, expectedIdentity);
  }
  const bound = evidence.peerSerial === undefined ? undefined : records.nodeOfSerial(evidence.peerSerial);
  if (named === undefined) return bound;
  if (bound !== undefined && bound !== named) {
    throw new NodeBindingError(`the certificate presented was issued to node ${bound}; it cannot obtain node ${named}'s certificate`);
  }
  return checkedNode(named, callerId, expectedIdentity);
}

function checkedNode(named: string | undefined, callerId: string, expectedIdentity: (nodeId: string) => WorkloadIdentity | undefined): string | undefined {
  if (named === undefined) return undefined;
  const expected = expectedIdentity(named);
  if (expected === undefined) return undefined;
  const expectedId = formatWorkloadId(expected);
  if (expectedId !== callerId) throw new NodeBindingError(`node ${named} runs as ${expectedId}; the caller is ${callerId}`);
  return named;
}
