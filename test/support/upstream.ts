// Real upstream servers for integration tests: node:http on 127.0.0.1:0, answering with what
// they saw so tests can assert what the proxy forwarded.
//   /status/NNN     answers NNN
//   /delay/MS       answers 200 after MS
//   /echo           streams the request body back
//   /bytes/N        streams N bytes (64 KiB writes, chunked)
//   anything else   200 with JSON {name, method, url, headers}
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface TestUpstream {
  name: string;
  port: number;
  seen: SeenRequest[];
  /** Overrides the default behaviour for the next requests; return true when handled. */
  override: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  server: Server;
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<TestUpstream> {
  const up: TestUpstream = {
    name,
    port: 0,
    seen: [],
    override: undefined,
    server: undefined as unknown as Server,
    close: async () => {
      up.server.closeAllConnections();
      await new Promise<void>((r) => up.server.close(() => r()));
    },
  };
  up.server = createServer((req, res) => {
    up.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (up.override && up.override(req, res)) return;
    const url = req.url ?? '/';
    let m: RegExpExecArray | null;
    if ((m = /^\/status\/(\d{3})/.exec(url))) {
      req.resume();
      res.writeHead(Number(m[1]), { 'x-upstream': name });
      res.end(`${name} ${m[1]}\n`);
    } else if ((m = /^\/delay\/(\d+)/.exec(url))) {
      req.resume();
      const t = setTimeout(() => res.end(`${name} after ${m![1]}ms\n`), Number(m[1]));
      res.on('close', () => clearTimeout(t));
    } else if (url.startsWith('/echo')) {
      res.writeHead(200, { 'x-upstream': name });
      req.pipe(res);
    } else if ((m = /^\/bytes\/(\d+)/.exec(url))) {
      req.resume();
      let left = Number(m[1]);
      const block = Buffer.alloc(64 * 1024, 120);
      res.writeHead(200, { 'x-upstream': name });
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, block.length);
          left -= n;
          if (!res.write(n === block.length ? block : block.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else {
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({ name, method: req.method, url, headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
        res.end(body);
      });
    }
  });
  await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', () => r()));
  up.port = (up.server.address() as AddressInfo).port;
  return up;
}
