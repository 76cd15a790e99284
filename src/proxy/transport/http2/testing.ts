// Shared by the HTTP/2 server tests: a real listening socket whose connections go to serveHttp2,
// as the listener runtime would hand them over (optionally after sniffing the first bytes).
import net from 'node:net';
import type { BodySink, BodySource } from '../../http/exchange.js';
import type { HeaderList } from '../../http/headers.js';
import { newConnectionInfo } from '../connection-info.js';
import { serveHttp2, type Http2Connection, type Http2ExchangeHandler, type Http2ServerLimits } from './server.js';

export const LIMITS: Http2ServerLimits = { maxConcurrentStreams: 100, maxResetsPerSecond: 200, idleTimeoutMs: 30_000, maxHeaderBytes: 65536 };

export interface TestServer {
  port: number;
  connections: Http2Connection[];
  close(): Promise<void>;
}

/** `sniff`: read the first bytes before handing over, and pass them as `initial`. */
export async function startServer(handler: Http2ExchangeHandler, limits: Partial<Http2ServerLimits> = {}, sniff = true): Promise<TestServer> {
  const connections: Http2Connection[] = [];
  const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    const info = newConnectionInfo('test', 'inbound', socket);
    info.protocol = 'http2';
    socket.on('error', () => {});
    if (!sniff) {
      connections.push(serveHttp2(socket, undefined, info, { ...LIMITS, ...limits }, handler));
      return;
    }
    socket.once('data', (first: Buffer) => {
      socket.pause();
      connections.push(serveHttp2(socket, first, info, { ...LIMITS, ...limits }, handler));
    });
    socket.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((r) => {
        for (const c of connections) c.close();
        server.close(() => r());
      }),
  };
}

/** Reads a whole BodySource (honouring nothing fancy: it always accepts). */
export function collect(body: BodySource | undefined): Promise<{ data: Buffer; trailers: HeaderList | undefined }> {
  return new Promise((resolve, reject) => {
    if (body === undefined) return resolve({ data: Buffer.alloc(0), trailers: undefined });
    const chunks: Buffer[] = [];
    const sink: BodySink = {
      data: (c) => {
        chunks.push(c);
        return true;
      },
      onDrain: (cb) => cb(),
      end: (trailers) => resolve({ data: Buffer.concat(chunks), trailers }),
      abort: (err) => reject(err),
    };
    body.pipe(sink);
  });
}
