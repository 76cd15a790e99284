// SPIFFE IDs (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md) and reading them
// from peer certificates. The mesh's identities have the shape spiffe://<td>/ns/<ns>/sa/<sa>
// (DESIGN §2); the parser accepts any valid SPIFFE ID so that a foreign one gets a precise refusal.
import type { WorkloadIdentity } from './types.js';

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

export class SpiffeIdError extends Error {
  readonly code = 'MAILLE_ERR_SPIFFE_ID';
  constructor(message: string) {
    super(message);
    this.name = 'SpiffeIdError';
  }
}

export class PeerIdentityError extends Error {
  readonly code = 'MAILLE_ERR_PEER_IDENTITY';
  constructor(message: string) {
    super(message);
    this.name = 'PeerIdentityError';
  }
}

export interface SpiffeId {
  /** The ID as written: spiffe://td/path. */
  uri: string;
  trustDomain: string;
  /** The path including its leading '/', '' for the trust domain's own ID. */
  path: string;
}

/** A peer's verified identity, in the forms the policy layer matches on. */
export interface PeerIdentity extends SpiffeId {
  /** Istio's `principals` form: the ID without 'spiffe://', e.g. cluster.local/ns/default/sa/web. */
  principal: string;
  /** Set when the path has the mesh's /ns/<ns>/sa/<sa> shape. */
  namespace?: string;
  serviceAccount?: string;
}

// The spec's character sets. Trust domains are lower case only; path segments may mix case.
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;

/** Validate a trust domain name; returns it unchanged. */
export function validateTrustDomain(trustDomain: string): string {
  if (trustDomain === '') throw new SpiffeIdError('trust domain is empty');
  if (trustDomain.length > MAX_TRUST_DOMAIN) throw new SpiffeIdError(`trust domain is longer than ${MAX_TRUST_DOMAIN} characters`);
  if (!TRUST_DOMAIN.test(trustDomain)) {
    throw new SpiffeIdError(`trust domain "${trustDomain}" may contain only lower-case letters, digits, '.', '-' and '_'`);
  }
  return trustDomain;
}

/** Parse and validate any SPIFFE ID. Throws SpiffeIdError saying what is wrong. */
export function parseSpiffeId(uri: string): SpiffeId {
  if (Buffer.byteLength(uri) > MAX_ID_BYTES) throw new SpiffeIdError(`SPIFFE ID is longer than ${MAX_ID_BYTES} bytes`);
  // The scheme is case-sensitive in SPIFFE (unlike generic URIs): only 'spiffe://'.
  if (!uri.startsWith('spiffe://')) throw new SpiffeIdError(`"${uri}" is not a SPIFFE ID (must start with spiffe://)`);
  const rest = uri.slice('spiffe://'.length);
  if (/[?#]/.test(rest)) throw new SpiffeIdError(`SPIFFE ID "${uri}" must not have a query or fragment`);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  // Ports and user info are forbidden; the character check catches both (':' and '@').
  try {
    validateTrustDomain(trustDomain);
  } catch (err) {
    throw new SpiffeIdError(`SPIFFE ID "${uri}": ${(err as Error).message}`);
  }
  if (path !== '') {
    for (const segment of path.slice(1).split('/')) {
      if (segment === '') throw new SpiffeIdError(`SPIFFE ID "${uri}" has an empty path segment or a trailing '/'`);
      if (segment === '.' || segment === '..') throw new SpiffeIdError(`SPIFFE ID "${uri}" must not contain '.' or '..' segments`);
      if (!SEGMENT.test(segment)) {
        throw new SpiffeIdError(`SPIFFE ID "${uri}": path segment "${segment}" may contain only letters, digits, '.', '-' and '_'`);
      }
    }
  }
  return { uri, trustDomain, path };
}

/** Parse a mesh workload ID; anything but spiffe://td/ns/<ns>/sa/<sa> is an error. */
export function parseWorkloadId(uri: string): WorkloadIdentity {
  const id = parseSpiffeId(uri);
  const workload = workloadPath(id.path);
  if (!workload) throw new SpiffeIdError(`SPIFFE ID "${uri}" is not a workload ID (expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)`);
  return { trustDomain: id.trustDomain, ...workload };
}

/** The SPIFFE ID of a workload identity, validating each part. */
export function formatWorkloadId(identity: WorkloadIdentity): string {
  const { trustDomain, namespace, serviceAccount } = identity;
  for (const [what, value] of [['namespace', namespace], ['service account', serviceAccount]] as const) {
    if (value === '' || value === '.' || value === '..' || !SEGMENT.test(value)) {
      throw new SpiffeIdError(`${what} "${value}" cannot be part of a SPIFFE ID (letters, digits, '.', '-' and '_' only)`);
    }
  }
  return parseSpiffeId(`spiffe://${validateTrustDomain(trustDomain)}/ns/${namespace}/sa/${serviceAccount}`).uri;
}

/**
 * The URI SANs in node's `subjectaltname` text ("DNS:a, URI:spiffe://td/ns/x/sa/y").
 * Since the fix for CVE-2021-44532, node writes a value containing ',', '"' or other special
 * characters as a JSON string ("URI:\"spiffe://a,b\""), so a forged name cannot smuggle in a second
 * entry through an embedded ", URI:"; this parser honours that quoting.
 */
export function uriSansFromAltNames(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  const uris: string[] = [];
  let i = 0;
  while (i < subjectaltname.length) {
    const colon = subjectaltname.indexOf(':', i);
    if (colon === -1) throw new PeerIdentityError(`cannot parse subjectAltName "${subjectaltname}"`);
    const type = subjectaltname.slice(i, colon);
    let value: string;
    let end: number;
    if (subjectaltname[colon + 1] === '"') {
      end = closingQuote(subjectaltname, colon + 1) + 1;
      value = JSON.parse(subjectaltname.slice(colon + 1, end)) as string;
    } else {
      const comma = subjectaltname.indexOf(', ', colon + 1);
      end = comma === -1 ? subjectaltname.length : comma;
      value = subjectaltname.slice(colon + 1, end);
    }
    if (type === 'URI') uris.push(value);
    if (end < subjectaltname.length && !subjectaltname.startsWith(', ', end)) {
      throw new PeerIdentityError(`cannot parse subjectAltName "${subjectaltname}"`);
    }
    i = end + 2;
  }
  return uris;
}

/**
 * The certificate shapes node gives for a TLS peer: `getPeerCertificate()` (subjectaltname) and
 * `getPeerX509Certificate()` (subjectAltName).
 */
export type PeerCertificateLike = { subjectaltname?: string } | { subjectAltName?: string | undefined };

/**
 * The identity of an mTLS peer. The chain must already have been verified against the trust bundle
 * (node:tls with `ca` = bundle and rejectUnauthorized); this checks the name: exactly one URI SAN,
 * a valid SPIFFE ID, in our trust domain. Anything else is refused, not guessed at.
 */
export function verifyPeerIdentity(cert: PeerCertificateLike | undefined, trustDomain: string): PeerIdentity {
  if (cert === undefined) throw new PeerIdentityError('peer presented no certificate');
  let altNames: string | undefined;
  if ('subjectAltName' in cert) {
    altNames = cert.subjectAltName;
  } else {
    // getPeerCertificate() returns {} when the peer sent no certificate.
    if (Object.keys(cert).length === 0) throw new PeerIdentityError('peer presented no certificate');
    altNames = (cert as { subjectaltname?: string }).subjectaltname;
  }
  const uris = uriSansFromAltNames(altNames);
  if (uris.length !== 1) {
    throw new PeerIdentityError(`peer certificate must have exactly one URI SAN (a SPIFFE ID), it has ${uris.length}`);
  }
  let id: SpiffeId;
  try {
    id = parseSpiffeId(uris[0]);
  } catch (err) {
    throw new PeerIdentityError(`peer certificate URI SAN: ${(err as Error).message}`);
  }
  if (id.trustDomain !== trustDomain) {
    throw new PeerIdentityError(`peer identity ${id.uri} is not in trust domain ${trustDomain}`);
  }
  return { ...id, principal: id.uri.slice('spiffe://'.length), ...workloadPath(id.path) };
}

function workloadPath(path: string): { namespace: string; serviceAccount: string } | undefined {
  const m = /^\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(path);
  return m ? { namespace: m[1], serviceAccount: m[2] } : undefined;
}

function closingQuote(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  throw new PeerIdentityError(`cannot parse subjectAltName "${text}": unterminated quote`);
}
