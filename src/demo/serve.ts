// What every demo app shares: listen on $PORT (set by `maille run`) on loopback, answer JSON,
// and stop cleanly on SIGTERM.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
}

export function serve(name: string, handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): void {
  const port = Number(process.env.PORT ?? 9080);
  const server = createServer((req, res) => {
    Promise.resolve(handle(req, res)).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `${name}: ${(err as Error).message}` });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than any caller's idle pool, so callers close first
  // The bound port, not $PORT: with PORT=0 (tests) the caller learns it from this line.
  server.listen(port, '127.0.0.1', () => console.log(`${name} listening on 127.0.0.1:${(server.address() as AddressInfo).port}`));
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
