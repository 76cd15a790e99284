// The discovery stream from the proxy's side: send hello, wait for the 200, then deliver snapshot
// and delta messages and carry replies back. See protocol.ts.
import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { readBody } from '../../../control-plane/discovery/http-util.js';
import { LineSplitter } from '../../../control-plane/discovery/ndjson.js';
import {
  MAX_SNAPSHOT_MESSAGE_BYTES,
  NDJSON,
  STREAM_PATH,
  messageLine,
  parseControlPlaneMessage,
  parseErrorBody,
  type HelloMessage,
  type ControlPlaneMessage,
  type ProxyMessage,
} from '../../../control-plane/discovery/protocol.js';
import { ControlPlaneError } from './errors.js';
import { closeSession } from './session.js';

export interface StreamHandlers {
  onMessage(link: Link, message: ControlPlaneMessage): void;
  /** The stream or its connection ended, for whatever reason (`reason` says it if known). */
  onClosed(link: Link, reason: string): void;
}

/** An established discovery stream and the connection it runs on. */
export class Link {
  private ended = false;

  constructor(
    private readonly session: ClientHttp2Session,
    private readonly stream: ClientHttp2Stream,
  ) {}

  get closed(): boolean {
    return this.ended || this.stream.closed || this.session.closed || this.session.destroyed;
  }

  send(message: ProxyMessage): void {
    if (!this.closed) this.stream.write(messageLine(message));
  }

  /** Resolves once the connection is gone. */
  close(): Promise<void> {
    this.ended = true;
    if (!this.stream.closed) this.stream.close(constants.NGHTTP2_NO_ERROR);
    return closeSession(this.session);
  }
}

/** Open the stream on `session` (which it then owns). Resolves once the control plane accepted the hello. */
export async function openStream(session: ClientHttp2Session, hello: HelloMessage, handlers: StreamHandlers, timeoutMs: number): Promise<Link> {
  const stream = session.request({ ':method': 'POST', ':path': STREAM_PATH, 'content-type': NDJSON });
  stream.write(messageLine(hello));
  let headers: IncomingHttpHeaders;
  try {
    headers = await awaitResponse(stream, timeoutMs);
  } catch (err) {
    session.destroy();
    throw err;
  }
  const status = Number(headers[':status']);
  if (status !== 200) {
    const body = await readBody(stream, 1 << 20).catch(() => '');
    session.destroy();
    const { code, message } = parseErrorBody(body, status);
    throw new ControlPlaneError(code, `discovery stream refused: ${message}`, 'stream');
  }

  const link = new Link(session, stream);
  const splitter = new LineSplitter(MAX_SNAPSHOT_MESSAGE_BYTES);
  let reported = false;
  const closed = (reason: string): void => {
    if (reported) return;
    reported = true;
    void link.close();
    handlers.onClosed(link, reason);
  };
  stream.on('data', (chunk: Buffer) => {
    try {
      for (const line of splitter.push(chunk)) {
        const message = parseControlPlaneMessage(line);
        if (message !== undefined) handlers.onMessage(link, message);
      }
    } catch (err) {
      closed(`protocol error from the control plane: ${(err as Error).message}`);
    }
  });
  stream.on('error', (err) => closed(err.message));
  stream.on('end', () => closed('the control plane ended the stream'));
  stream.on('close', () => closed('stream closed'));
  session.on('goaway', () => closed('the control plane is going away'));
  session.on('close', () => closed('connection closed'));
  return link;
}

function awaitResponse(stream: ClientHttp2Stream, timeoutMs: number): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(new Error(`the control plane did not answer the hello within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.once('response', (headers) => {
      clearTimeout(timer);
      resolve(headers);
    });
    stream.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.once('close', () => {
      clearTimeout(timer);
      reject(new Error('the discovery stream closed before the control plane answered'));
    });
  });
}
