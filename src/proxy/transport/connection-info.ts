// What the proxy knows about one downstream connection. Filters and telemetry read it; later
// layers fill more of it (mTLS peer identity, original destination from interception).
export interface ConnectionInfo {
  id: number;
  listener: string;
  direction: 'inbound' | 'outbound' | 'gateway';
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** What the sniffer (or the listener's declared protocol) decided. */
  protocol: 'http1' | 'http2' | 'tcp';
  /** TLS: whether the connection was TLS-terminated here, and the peer's SPIFFE ID if any. */
  tls: boolean;
  peerIdentity: string | undefined;
  /** Original destination of an intercepted connection (transparent mode). */
  originalDestination: { address: string; port: number } | undefined;
  /** Counts a response the proxy made itself, by error code (the listener wires its metrics). */
  countError: (code: string) => void;
}

let nextId = 1;

export function newConnectionInfo(
  listener: string,
  direction: ConnectionInfo['direction'],
  socket: import('node:net').Socket,
): ConnectionInfo {
  return {
    id: nextId++,
    listener,
    direction,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
    protocol: 'tcp',
    tls: false,
    peerIdentity: undefined,
    originalDestination: undefined,
    countError: () => {},
  };
}
