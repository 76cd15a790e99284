// A small HTTP/1.1 server for the admin listener, on node:net.
//
// Why not node:http: loading it (and its _http_* modules) costs a proxy ~1 MB of memory for a
// listener that answers a few requests a minute, and the data path does not need it (it has its
// own HTTP/1 codec). The admin API's needs are small: GET/HEAD/POST, no request bodies worth
// reading, a whole reply known before it is written. So this parses a request head, hands it to
// a synchronous handler, writes the reply, and keeps the connection alive like any HTTP/1.1
// server. What it refuses, it refuses with a status and a sentence, then closes.
import net from 'node:net';
import { STATUS_CODES } from '../http/status-codes.js';
import { httpDate } from '../telemetry/clock-text.js';

export interface AdminRequest {
  method: string;
  /** The request target as sent ("/clusters?format=text"). */
  target: string;
  /** Lower-case names; a repeated field's values joined with ", ". */
  headers: ReadonlyMap<string, string>;
}

export interface AdminReply {
  status: number;
  /** Lower-case names. content-length is added. */
  headers: Record<string, string>;
  body: string;
}

export type AdminHandler = (req: AdminRequest) => AdminReply;

export interface AdminHttpLimits {
  /** Request line plus header fields. */
  maxHeadBytes: number;
  maxHeaderCount: number;
  /** A request head must arrive within this long once its first byte did (slowloris). */
  headTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  idleTimeoutMs: number;
  /** Request bodies are read and ignored up to this size; larger ones get 413. */
  maxBodyBytes: number;
}

export const ADMIN_HTTP_DEFAULTS: AdminHttpLimits = {
  maxHeadBytes: 16 * 1024,
  maxHeaderCount: 100,
  headTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
  maxBodyBytes: 64 * 1024,
};

export interface AdminHttpServer {
  readonly server: net.Server;
  /** Stops accepting, closes every connection once its pending writes are out. */
  close(): Promise<void>;
}

/** Thrown by the parser: the connection gets this status and sentence, then closes. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/(\d)\.(\d)$/;
const FIELD_VALUE_BAD = /[\0\r\n]/;

interface ParsedHead {
  req: AdminRequest;
  keepAlive: boolean;
  bodyBytes: number;
}

/** `head`: the bytes before CRLFCRLF, as latin1. */
export function parseAdminHead(head: string, limits: AdminHttpLimits): ParsedHead {
  const lines = head.split('\r\n');
  const m = REQUEST_LINE.exec(lines[0]);
  if (m === null) throw new RequestError(400, 'malformed request line: expected "METHOD /path HTTP/1.1"');
  const [, method, target, major, minor] = m;
  if (major !== '1') throw new RequestError(505, `HTTP/${major}.${minor} is not supported: the admin API speaks HTTP/1.1`);
  if (lines.length - 1 > limits.maxHeaderCount) {
    throw new RequestError(431, `more than ${limits.maxHeaderCount} header fields`);
  }
  const headers = new Map<string, string>();
  let hosts = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new RequestError(400, `malformed header field line ${i}: expected "name: value"`);
    const value = line.slice(colon + 1).trim();
    if (FIELD_VALUE_BAD.test(value)) throw new RequestError(400, `header field ${name} has a forbidden character`);
    const lower = name.toLowerCase();
    if (lower === 'host') hosts++;
    const prev = headers.get(lower);
    headers.set(lower, prev === undefined ? value : `${prev}, ${value}`);
  }
  const http10 = minor === '0';
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1 (node:http's default check too).
  if (hosts > 1 || (hosts === 0 && !http10)) throw new RequestError(400, 'a request must carry exactly one Host header field');
  if (headers.has('transfer-encoding')) {
    throw new RequestError(411, 'request bodies with transfer-encoding are not accepted; the admin API takes its parameters in the query');
  }
  let bodyBytes = 0;
  const length = headers.get('content-length');
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) throw new RequestError(400, `content-length "${length}" is not a number`);
    bodyBytes = Number(length);
    if (bodyBytes > limits.maxBodyBytes) throw new RequestError(413, `request body of ${bodyBytes} bytes is over ${limits.maxBodyBytes}`);
  }
  const tokens = (headers.get('connection') ?? '').toLowerCase();
  const keepAlive = http10 ? /\bkeep-alive\b/.test(tokens) : !/\bclose\b/.test(tokens);
  return { req: { method, target, headers }, keepAlive, bodyBytes };
}

/** The reply on the wire: the head in latin1, the body in UTF-8 (content-length counts its bytes). */
function replyBytes(reply: AdminReply, withBody: boolean, keepAlive: boolean): Buffer {
  let head = `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of Object.entries(reply.headers)) head += `${name}: ${value}\r\n`;
  head += `content-length: ${Buffer.byteLength(reply.body)}\r\n`;
  head += `date: ${httpDate(Date.now())}\r\n`;
  head += keepAlive ? 'connection: keep-alive\r\n\r\n' : 'connection: close\r\n\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return withBody ? Buffer.concat([headBytes, Buffer.from(reply.body, 'utf8')]) : headBytes;
}

/** One client connection: requests in order, one at a time (the handler is synchronous). */
class AdminConnection {
  private buffered = '';
  /** Body bytes of the last request still to skip. */
  private skip = 0;
  private headTimer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: AdminHandler,
    private readonly limits: AdminHttpLimits,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs, () => this.onIdle());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.clearHeadTimer());
  }

  private onIdle(): void {
    if (this.buffered.length === 0 && this.headTimer === undefined) this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    let text = chunk.toString('latin1');
    if (this.skip > 0) {
      const n = Math.min(this.skip, text.length);
      this.skip -= n;
      text = text.slice(n);
    }
    this.buffered += text;
    this.drainRequests();
  }

  private drainRequests(): void {
    while (!this.done && this.skip === 0 && this.buffered.length > 0) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffered.length > this.limits.maxHeadBytes) {
          return this.fail(431, `request head over ${this.limits.maxHeadBytes} bytes`);
        }
        if (this.headTimer === undefined) {
          this.headTimer = setTimeout(() => this.fail(408, `request head not complete within ${this.limits.headTimeoutMs} ms`), this.limits.headTimeoutMs);
        }
        return;
      }
      this.clearHeadTimer();
      if (end > this.limits.maxHeadBytes) return this.fail(431, `request head over ${this.limits.maxHeadBytes} bytes`);
      const head = this.buffered.slice(0, end);
      let rest = this.buffered.slice(end + 4);
      let parsed: ParsedHead;
      try {
        parsed = parseAdminHead(head, this.limits);
      } catch (err) {
        if (err instanceof RequestError) return this.fail(err.status, err.message);
        throw err;
      }
      const skipNow = Math.min(parsed.bodyBytes, rest.length);
      this.skip = parsed.bodyBytes - skipNow;
      rest = rest.slice(skipNow);
      this.buffered = rest;
      let reply: AdminReply;
      try {
        reply = this.handler(parsed.req);
      } catch (err) {
        return this.fail(500, `${parsed.req.target} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.socket.write(replyBytes(reply, parsed.req.method !== 'HEAD', parsed.keepAlive));
      if (!parsed.keepAlive) return this.finish();
    }
  }

  /** Answers a request that cannot be served, then closes. */
  private fail(status: number, sentence: string): void {
    if (this.done) return;
    const reply = { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `admin: ${sentence}\n` };
    this.socket.write(replyBytes(reply, true, false));
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.clearHeadTimer();
    this.buffered = '';
    this.socket.end();
    // A peer that never closes its side must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private clearHeadTimer(): void {
    if (this.headTimer !== undefined) clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  /** Server closing: replies already written still go out; a half-read request is dropped. */
  close(): void {
    if (this.buffered.length === 0 && this.skip === 0) this.finish();
    else this.socket.destroy();
  }
}

export function createAdminHttpServer(handler: AdminHandler, limits: AdminHttpLimits = ADMIN_HTTP_DEFAULTS): AdminHttpServer {
  const connections = new Set<AdminConnection>();
  const server = net.createServer((socket) => {
    const conn = new AdminConnection(socket, handler, limits);
    connections.add(conn);
    socket.once('close', () => connections.delete(conn));
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const c of connections) c.close();
      }),
  };
}
