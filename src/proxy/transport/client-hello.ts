// The server name (SNI) a TLS client asks for, read from its ClientHello without terminating TLS:
// what a gateway needs to pass a connection through to the backend that owns the name (Istio's
// PASSTHROUGH). Only the bytes are inspected; the caller replays them to the chosen backend.
//
// A ClientHello may span several TLS records (a large one with post-quantum key shares, or a
// client that fragments on purpose), so handshake bytes are gathered across records first.
import type { Socket } from 'node:net';

export type ServerNameResult =
  /** Not decided yet: nothing changes before the buffer holds `need` bytes. */
  | { readonly kind: 'more'; readonly need: number }
  /** A whole ClientHello; `serverName` is undefined when the client sent no SNI. */
  | { readonly kind: 'hello'; readonly serverName: string | undefined }
  /** Not a TLS ClientHello (or a malformed one). */
  | { readonly kind: 'invalid'; readonly reason: string };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;
const MAX_RECORD = 16384 + 2048;
/** Far above any real ClientHello (a few KB), low enough that a peer cannot make us buffer much. */
export const MAX_CLIENT_HELLO = 64 * 1024;

/** A real ClientHello fits in one or two records; many tiny ones only make us parse more. */
const MAX_RECORDS = 64;

const more = (need: number): ServerNameResult => ({ kind: 'more', need });
const invalid = (reason: string): SniffedHello => ({ kind: 'invalid', reason });

/** Decides from the bytes a client sent so far. */
export function readServerName(buf: Buffer): ServerNameResult {
  const fragments: Buffer[] = [];
  let off = 0;
  for (;;) {
    // Each whole record was looked at below, so an incomplete header means: read more.
    if (buf.length - off < 5) return off < buf.length ? checkHeaderPrefix(buf.subarray(off), off + 5) : more(off + 5);
    if (fragments.length === MAX_RECORDS) return invalid(`a ClientHello in more than ${MAX_RECORDS} records`);
    if (buf[off] !== RECORD_HANDSHAKE) return invalid(off === 0 ? 'not a TLS handshake' : 'a non-handshake record inside the ClientHello');
    if (buf[off + 1] !== 3) return invalid('not a TLS record version');
    const len = buf.readUInt16BE(off + 3);
    if (len === 0 || len > MAX_RECORD) return invalid(`a TLS record of ${len} bytes`);
    if (buf.length - off - 5 < len) return more(off + 5 + len);
    fragments.push(buf.subarray(off + 5, off + 5 + len));
    off += 5 + len;
    const decided = fromHandshake(Buffer.concat(fragments));
    if (decided !== undefined) return decided;
  }
}

/** The first bytes of a record header, checked before the rest arrives (garbage fails fast). */
function checkHeaderPrefix(head: Buffer, need: number): ServerNameResult {
  if (head[0] !== RECORD_HANDSHAKE) return invalid('not a TLS handshake');
  if (head.length > 1 && head[1] !== 3) return invalid('not a TLS record version');
  return more(need);
}

/** undefined: the handshake message is not complete yet. */
function fromHandshake(hs: Buffer): ServerNameResult | undefined {
  if (hs.length < 4) return undefined;
  if (hs[0] !== HANDSHAKE_CLIENT_HELLO) return invalid('the first handshake message is not a ClientHello');
  const len = hs.readUIntBE(1, 3);
  if (len + 4 > MAX_CLIENT_HELLO) return invalid(`a ClientHello of ${len} bytes`);
  if (hs.length < 4 + len) return undefined;
  try {
    return { kind: 'hello', serverName: serverNameOf(hs.subarray(4, 4 + len)) };
  } catch (err) {
    return invalid((err as Error).message);
  }
}

/** A bounds-checked reader: running past the end is a malformed ClientHello. */
class Cursor {
  off = 0;
  constructor(private readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.off;
  }
  skip(n: number): void {
    if (n > this.left) throw new Error('a truncated ClientHello');
    this.off += n;
  }
  u8(): number {
    this.skip(1);
    return this.buf[this.off - 1];
  }
  u16(): number {
    this.skip(2);
    return this.buf.readUInt16BE(this.off - 2);
  }
  bytes(n: number): Buffer {
    this.skip(n);
    return this.buf.subarray(this.off - n, this.off);
  }
}

function serverNameOf(body: Buffer): string | undefined {
  const c = new Cursor(body);
  c.skip(2 + 32); // legacy_version, random
  c.skip(c.u8()); // legacy_session_id
  c.skip(c.u16()); // cipher_suites
  c.skip(c.u8()); // legacy_compression_methods
  if (c.left === 0) return undefined; // no extensions at all (old clients)
  const extensions = new Cursor(c.bytes(c.u16()));
  while (extensions.left > 0) {
    const type = extensions.u16();
    const data = extensions.bytes(extensions.u16());
    if (type === EXTENSION_SERVER_NAME) return hostName(data);
  }
  return undefined;
}

function hostName(data: Buffer): string | undefined {
  const list = new Cursor(data);
  const names = new Cursor(list.bytes(list.u16()));
  while (names.left > 0) {
    const type = names.u8();
    const name = names.bytes(names.u16());
    if (type !== NAME_TYPE_HOST) continue;
    const text = name.toString('latin1');
    // A DNS name in ASCII (IDNs travel as punycode); anything else is not a name to route by.
    if (name.length === 0 || !/^[A-Za-z0-9._-]+$/.test(text)) throw new Error('a server name that is not a DNS name');
    return text.toLowerCase().replace(/\.$/, '');
  }
  return undefined;
}

/**
 * Reads a client's first bytes until its ClientHello is whole (or is not one), then calls back
 * with the result and every byte read, to be replayed. Silence past `timeoutMs`, or the client
 * closing first, counts as invalid.
 */
export type SniffedHello = Exclude<ServerNameResult, { kind: 'more' }>;

export function sniffServerName(socket: Socket, timeoutMs: number, done: (r: SniffedHello, initial: Buffer) => void): void {
  // Chunks are joined and parsed only once the next record can be whole: a client trickling
  // bytes one at a time costs no more parsing than one sending the hello at once.
  const chunks: Buffer[] = [];
  let size = 0;
  let need = 1;
  let settled = false;
  const bytes = (): Buffer => (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  const finish = (r: SniffedHello): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.pause();
    done(r, bytes());
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    if (size < need) return;
    if (size > MAX_CLIENT_HELLO + 5 * MAX_RECORDS) return finish(invalid('too many bytes before a whole ClientHello'));
    const all = bytes();
    chunks.length = 0;
    chunks.push(all);
    const r = readServerName(all);
    if (r.kind === 'more') need = r.need;
    else finish(r);
  };
  const onEnd = (): void => finish(invalid('the client closed before a whole ClientHello'));
  const timer = setTimeout(() => finish(invalid(`no whole ClientHello within ${timeoutMs} ms`)), timeoutMs);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.resume();
}
