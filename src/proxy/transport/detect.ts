// Protocol detection: look at the first bytes a client sends and decide HTTP/1, HTTP/2 or opaque
// TCP, as Linkerd and Istio do for ports not declared.
//
// A client that sends nothing (server-speaks-first protocols such as MySQL or SMTP) must not
// hang: after `timeoutMs` of silence the connection is treated as TCP, so the server's greeting
// can flow.
import type { Socket } from 'node:net';

export type Detected = 'http1' | 'http2' | 'tcp';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const METHOD_CHARS = /^[A-Z]{3,10} /;

/** Decides from a prefix; undefined when more bytes are needed. */
export function classify(buf: Buffer): Detected | undefined {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return n === H2_PREFACE.length ? 'http2' : undefined;
  const head = buf.toString('latin1', 0, Math.min(buf.length, 12));
  if (METHOD_CHARS.test(head)) return 'http1';
  // Still could be a method token being typed slowly.
  if (/^[A-Z]{1,10}$/.test(head) && buf.length < 11) return undefined;
  return 'tcp';
}

/** Reads until a decision, then calls back with the bytes read so far (to be replayed). */
export function detectProtocol(socket: Socket, timeoutMs: number, done: (p: Detected, initial: Buffer | undefined) => void): void {
  let buf: Buffer | undefined;
  let settled = false;
  const finish = (p: Detected): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.pause();
    done(p, buf);
  };
  const onData = (chunk: Buffer): void => {
    buf = buf ? Buffer.concat([buf, chunk]) : chunk;
    const p = classify(buf);
    if (p) finish(p);
  };
  const onEnd = (): void => finish('tcp');
  const timer = setTimeout(() => finish(buf ? (classify(buf) ?? 'tcp') : 'tcp'), timeoutMs);
  socket.on('data', onData);
  socket.on('end', onEnd);
}
