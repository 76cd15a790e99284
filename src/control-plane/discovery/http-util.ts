// Small HTTP/2 helpers shared by the server and the proxy's client.
import type { ServerHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import { DiscoveryError, badRequest } from './errors.js';
import { JSON_TYPE, errorBody } from './protocol.js';

/**
 * The whole body as text; more than `maxBytes` is an error (`tooLarge`'s, so each API answers in
 * its own terms) rather than a memory hazard.
 */
export function readBody(readable: Readable, maxBytes: number, tooLarge: (maxBytes: number) => Error = (max) => badRequest(`body longer than ${max} bytes`)): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    readable.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        readable.removeAllListeners('data');
        readable.destroy();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    readable.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    readable.once('error', reject);
    // A stream reset before its end emits 'close' without 'end'.
    readable.once('close', () => reject(new Error('stream closed before its body ended')));
  });
}

export function replyJson(stream: ServerHttp2Stream, status: number, body: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.end();
    return;
  }
  stream.respond({ ':status': status, 'content-type': JSON_TYPE });
  stream.end(body);
}

export function replyError(stream: ServerHttp2Stream, err: DiscoveryError): void {
  replyJson(stream, err.status, errorBody(err.code, err.message));
}
