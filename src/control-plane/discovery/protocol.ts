// The discovery protocol between a proxy and the control plane (port 15012, DESIGN §2).
//
// Transport: HTTP/2 over TLS 1.3, ALPN h2. Two calls, both POST, both on the same listener:
//
//   POST /maille.discovery.v1/Stream     one long-lived bidirectional stream per proxy
//   POST /maille.discovery.v1/Sign       unary: a CSR in, an X.509 SVID out
//
// Stream framing: newline-delimited JSON (content-type application/x-ndjson), one message per
// line in both directions. JSON.stringify never emits a raw newline, so a line is a message.
//
//   proxy → control plane                       control plane → proxy
//   {"type":"hello","node":{…},"lastVersion":N}
//                                               (response headers :status 200, or an error body)
//                                               {"type":"snapshot","version":1,"snapshot":{…}}
//   {"type":"ack","version":1}
//                                               {"type":"snapshot","version":2,"snapshot":{…}}
//   {"type":"nack","version":2,"error":"…"}
//                                               {"type":"delta","version":3,"baseVersion":2,"delta":{…}}
//   {"type":"ack","version":3}
//
// - The proxy sends `hello` first. The control plane answers only after reading it, so a refusal
//   (authentication, a hello that contradicts the caller's identity) is an HTTP status with an
//   ErrorBody, never a half-open stream.
// - `version` is an integer, strictly increasing per proxy. `hello.lastVersion` is the highest
//   version the proxy has received (on an earlier stream, perhaps from an earlier control-plane
//   process); the control plane numbers above it, so versions stay monotonic across restarts and
//   reconnects even though the control plane keeps no state about absent proxies.
// - `ack` means the snapshot of that version is serving; `nack` means it was refused (failed
//   validation, or the proxy could not apply it) and the previous one keeps serving; `error` says why.
// - A proxy that receives snapshots faster than it applies them may skip intermediate versions: only
//   the latest matters, and it is acknowledged. The control plane likewise never queues: a proxy that
//   reads slowly gets the latest snapshot once its stream drains.
// - Deltas (delta.ts, apply-delta.ts): a proxy whose hello says `acceptsDelta: true` may get, instead
//   of a whole snapshot, the entries that changed since `baseVersion`, the version last sent to it
//   on this stream. It applies them to the snapshot of that version to make the new snapshot, then
//   validates and ACKs or NACKs it like any snapshot. A delta whose base is not the version the
//   proxy holds, or that does not apply, is NACKed; a NACKed delta is answered with a whole snapshot.
//   A new stream starts with a whole snapshot, unless its hello names in `heldVersion` the version
//   the proxy holds and the control plane still knows it (the stream it replaces sent it): then
//   with a delta on it. Versions are never reused for one proxy (see lastVersion), so a version
//   names one snapshot across streams.
// - Unknown fields and unknown message types are ignored in both directions, so a proxy and a
//   control plane one version apart keep talking. (The snapshot itself is strict: a field the
//   proxy does not know is a NACK with the field path, and the last good snapshot keeps serving.)
//
// Sign: request {"csr": PEM, "node": NODE_ID}, response {"certChain": PEM (leaf first), "trustBundle": PEM}. The
// identity in the certificate is the caller's authenticated identity, never anything the request
// says; a CSR naming another identity is refused. `node` (optional) names the proxy asking, so the
// control plane can tell which proxy holds which certificate; it must be the node the bootstrap
// token was issued for, or the one the presented certificate was issued to.
//
// Authentication, on both calls: the client certificate (an SVID chaining to the trust bundle,
// its one URI SAN a workload SPIFFE ID) or, for Sign only, `authorization: Bearer <token>` — the
// bootstrap token a proxy uses once to get its first certificate. A certificate that is presented
// but does not verify is refused, not ignored. The server authenticates itself with the control
// plane's SVID; proxies check its SPIFFE ID, not a DNS name.
//
// Errors: a non-200 status with ErrorBody {"error": {"code": "MAILLE_ERR_…", "message": "…"}}.
import { ShapeError, array, boolean, integer, key, object, oneOf, optional, required, string, type Fields } from './protocol-check.js';

export const DISCOVERY_PORT = 15012;
export const STREAM_PATH = '/maille.discovery.v1/Stream';
export const SIGN_PATH = '/maille.discovery.v1/Sign';
export const NDJSON = 'application/x-ndjson';
export const JSON_TYPE = 'application/json';

/** The service account the control plane's own SVID names (Istio's istiod equivalent). */
export const CONTROL_PLANE_SERVICE_ACCOUNT = 'maille-control-plane';
/** Where the control plane's identity lives; the mesh root namespace by default (DESIGN §2). */
export const CONTROL_PLANE_NAMESPACE = 'istio-system';

export function controlPlaneSpiffeId(trustDomain: string, namespace: string = CONTROL_PLANE_NAMESPACE): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${CONTROL_PLANE_SERVICE_ACCOUNT}`;
}

// Limits. Proxy messages are tiny (hello, ack, nack); snapshots of a large mesh are not.
export const MAX_PROXY_MESSAGE_BYTES = 1 << 20;
export const MAX_SNAPSHOT_MESSAGE_BYTES = 64 << 20;
/** NACK errors are for people; the proxy cuts them to this length. */
export const MAX_NACK_ERROR_CHARS = 8192;

const NAME_MAX = 253;
const PORT_PROTOCOLS = ['http', 'http2', 'grpc', 'tcp'] as const;

export interface ServedPort {
  /** Port callers use (the service port). */
  port: number;
  /** Where the app listens, when it differs from `port`. */
  targetPort?: number;
  name?: string;
  protocol?: (typeof PORT_PROTOCOLS)[number];
}

/** Who a proxy is and what it serves: what the registry learns when the proxy connects. */
export interface NodeInfo {
  /** Unique per proxy process (e.g. reviews-v1-0). */
  id: string;
  namespace: string;
  serviceAccount: string;
  labels: Record<string, string>;
  /** The service this workload backs; absent for a gateway or a client-only workload. */
  service?: { name: string; ports: ServedPort[] };
  /** Addresses the workload is reachable at (local mode: 127.0.0.1 or its netns address). */
  addresses: string[];
  proxyVersion: string;
}

export interface HelloMessage {
  type: 'hello';
  node: NodeInfo;
  lastVersion?: number;
  /** The proxy understands delta messages. */
  acceptsDelta?: boolean;
  /** The version of the snapshot the proxy holds (last received), a base a delta may build on. */
  heldVersion?: number;
}
export interface AckMessage {
  type: 'ack';
  version: number;
}
export interface NackMessage {
  type: 'nack';
  version: number;
  error: string;
}
export type ProxyMessage = HelloMessage | AckMessage | NackMessage;

/** The snapshot is checked by the proxy's own validator (validateSnapshot), not here. */
export interface SnapshotMessage {
  type: 'snapshot';
  version: number;
  /** Unvalidated until the proxy runs validateSnapshot on it. */
  snapshot: unknown;
}

/** The snapshot of `baseVersion` with `delta` applied (apply-delta.ts) is the snapshot of `version`. */
export interface DeltaMessage {
  type: 'delta';
  version: number;
  baseVersion: number;
  /** Unchecked until applyDelta reads it; the result is validated like a whole snapshot. */
  delta: unknown;
}
export type ControlPlaneMessage = SnapshotMessage | DeltaMessage;

export interface SignRequest {
  csr: string;
  node?: string;
}
export interface SignResponse {
  certChain: string;
  trustBundle: string;
}

export type DiscoveryErrorCode =
  | 'MAILLE_ERR_UNAUTHENTICATED'
  | 'MAILLE_ERR_PERMISSION_DENIED'
  | 'MAILLE_ERR_BAD_REQUEST'
  | 'MAILLE_ERR_NOT_FOUND'
  | 'MAILLE_ERR_INTERNAL'
  | (string & {});

export interface ErrorBody {
  error: { code: DiscoveryErrorCode; message: string };
}

export const HTTP_STATUS: Readonly<Record<string, number>> = {
  MAILLE_ERR_UNAUTHENTICATED: 401,
  MAILLE_ERR_PERMISSION_DENIED: 403,
  MAILLE_ERR_BAD_REQUEST: 400,
  MAILLE_ERR_NOT_FOUND: 404,
  MAILLE_ERR_INTERNAL: 500,
};

// ---------------------------------------------------------------------------------------------
// Parsing. Each returns the message, undefined for a well-formed message of an unknown type
// (ignored, see above), or throws an Error whose message says what is wrong.

export function parseProxyMessage(line: string): ProxyMessage | undefined {
  const value = parseJsonObject(line);
  switch (value.type) {
    case 'hello':
      return checked<HelloMessage>(checkHello, value, 'hello');
    case 'ack':
      return checked<AckMessage>(checkAck, value, 'ack');
    case 'nack':
      return checked<NackMessage>(checkNack, value, 'nack');
    default:
      return undefined;
  }
}

export function parseControlPlaneMessage(line: string): ControlPlaneMessage | undefined {
  const value = parseJsonObject(line);
  if (value.type === 'delta') {
    const m = checked<DeltaMessage>(checkDeltaEnvelope, value, 'delta');
    return { type: 'delta', version: m.version, baseVersion: m.baseVersion, delta: m.delta };
  }
  if (value.type !== 'snapshot') return undefined;
  const m = checked<SnapshotMessage>(checkSnapshotEnvelope, value, 'snapshot');
  return { type: 'snapshot', version: m.version, snapshot: m.snapshot };
}

export function parseSignRequest(text: string): SignRequest {
  return checked<SignRequest>(checkSignRequest, parseJsonObject(text), 'sign request');
}

export function parseSignResponse(text: string): SignResponse {
  return checked<SignResponse>(checkSignResponse, parseJsonObject(text), 'sign response');
}

/** An ErrorBody's code and message, or a description of whatever else the body was. */
export function parseErrorBody(text: string, status: number): { code: string; message: string } {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody> | null;
    if (typeof body?.error?.message === 'string') {
      return { code: typeof body.error.code === 'string' ? body.error.code : 'MAILLE_ERR_INTERNAL', message: body.error.message };
    }
  } catch {
    // fall through: not our error format (e.g. something else listening on the port)
  }
  return { code: 'MAILLE_ERR_INTERNAL', message: `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}` };
}

export function errorBody(code: DiscoveryErrorCode, message: string): string {
  const body: ErrorBody = { error: { code, message } };
  return JSON.stringify(body);
}

/**
 * A snapshot message line in pieces: head, the snapshot's JSON (itself perhaps in pieces, written
 * as they are: the server serializes each snapshot once), tail.
 */
export function snapshotHead(version: number): string {
  return `{"type":"snapshot","version":${version},"snapshot":`;
}
export const SNAPSHOT_TAIL = '}\n';

/** A delta message line in pieces: head, the `delta` member's JSON (delta.ts), SNAPSHOT_TAIL. */
export function deltaHead(version: number, baseVersion: number): string {
  return `{"type":"delta","version":${version},"baseVersion":${baseVersion},"delta":`;
}

export function messageLine(message: ProxyMessage): string {
  return JSON.stringify(message) + '\n';
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`message is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('message is not a JSON object');
  return value as Record<string, unknown>;
}

// The checks, one per message (protocol-check.ts has the building blocks). `p` is the JSON
// pointer of the value being checked.
const name = (v: unknown, p: string): string => string(v, p, 1, NAME_MAX);
const anyString = (v: unknown, p: string): string => string(v, p);
const nonEmpty = (v: unknown, p: string): string => string(v, p, 1);
const version = (v: unknown, p: string): number => integer(v, p, 1);
const port = (v: unknown, p: string): number => integer(v, p, 1, 65535);
const anything = (): void => {};

function checkServedPort(v: unknown, p: string): void {
  const sp = object(v, p);
  required(sp, 'port', p, port);
  optional(sp, 'targetPort', p, port);
  optional(sp, 'name', p, anyString);
  optional(sp, 'protocol', p, (x, q) => oneOf(x, q, PORT_PROTOCOLS));
}

function checkService(v: unknown, p: string): void {
  const service = object(v, p);
  required(service, 'name', p, name);
  required(service, 'ports', p, (x, q) => array(x, q, checkServedPort));
}

function checkLabels(v: unknown, p: string): void {
  const labels = object(v, p);
  for (const k of Object.keys(labels)) string(labels[k], key(p, k));
}

function checkNodeInfo(v: unknown, p: string): void {
  const node = object(v, p);
  required(node, 'id', p, name);
  required(node, 'namespace', p, name);
  required(node, 'serviceAccount', p, name);
  required(node, 'labels', p, checkLabels);
  optional(node, 'service', p, checkService);
  required(node, 'addresses', p, (x, q) => array(x, q, nonEmpty));
  required(node, 'proxyVersion', p, anyString);
}

function checkHello(m: Fields): void {
  required(m, 'node', '', checkNodeInfo);
  optional(m, 'lastVersion', '', (v, p) => integer(v, p, 0));
  optional(m, 'acceptsDelta', '', boolean);
  optional(m, 'heldVersion', '', version);
}

function checkAck(m: Fields): void {
  required(m, 'version', '', version);
}

function checkNack(m: Fields): void {
  required(m, 'version', '', version);
  required(m, 'error', '', anyString);
}

function checkSnapshotEnvelope(m: Fields): void {
  required(m, 'version', '', version);
  required(m, 'snapshot', '', anything);
}

function checkDeltaEnvelope(m: Fields): void {
  required(m, 'version', '', version);
  required(m, 'baseVersion', '', version);
  required(m, 'delta', '', anything);
}

function checkSignRequest(m: Fields): void {
  required(m, 'csr', '', nonEmpty);
  optional(m, 'node', '', name);
}

function checkSignResponse(m: Fields): void {
  required(m, 'certChain', '', nonEmpty);
  required(m, 'trustBundle', '', nonEmpty);
}

/** Runs `check` on a message's fields; a failure becomes "invalid WHAT at PATH: REASON". */
function checked<T>(check: (m: Fields) => void, value: Fields, what: string): T {
  try {
    check(value);
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new Error(`invalid ${what}${err.path ? ` at ${err.path}` : ''}: ${err.reason}`);
  }
  return value as unknown as T;
}
