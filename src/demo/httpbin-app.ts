// An httpbin-like app (the one Istio's circuit-breaking, timeout and mTLS tasks call), unaware of
// the mesh:
//   GET /get              {args, headers, url}
//   GET /headers          {headers}: what arrived, e.g. the X-Forwarded-Client-Cert the sidecar adds
//   ANY /status/CODE      answers CODE
//   ANY /delay/SECONDS    answers /get's body after SECONDS (at most 10, as httpbin)
import type { IncomingMessage } from 'node:http';
import { sendJson, serve } from './serve.js';

const MAX_DELAY_S = 10;

/** httpbin shows header names Title-Cased, whatever case they arrived in. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const title = name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
    out[title] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function getBody(req: IncomingMessage, url: URL): unknown {
  return { args: Object.fromEntries(url.searchParams), headers: headersOf(req), url: `http://${req.headers.host ?? 'httpbin'}${url.pathname}${url.search}` };
}

serve('httpbin', (req, res) => {
  req.resume();
  const url = new URL(req.url ?? '/', 'http://httpbin');
  let m: RegExpExecArray | null;
  if (url.pathname === '/get' && req.method === 'GET') return sendJson(res, 200, getBody(req, url));
  if (url.pathname === '/headers') return sendJson(res, 200, { headers: headersOf(req) });
  if ((m = /^\/status\/(\d{3})$/.exec(url.pathname))) {
    res.writeHead(Number(m[1]), { 'content-type': 'text/plain' }).end(Number(m[1]) === 418 ? "I'm a teapot!\n" : '');
    return;
  }
  if ((m = /^\/delay\/(\d+(?:\.\d+)?)$/.exec(url.pathname))) {
    const ms = Math.min(Number(m[1]), MAX_DELAY_S) * 1000;
    const timer = setTimeout(() => sendJson(res, 200, getBody(req, url)), ms);
    res.on('close', () => clearTimeout(timer));
    return;
  }
  sendJson(res, 404, { error: `no such endpoint ${req.method} ${url.pathname} (try /get, /headers, /status/418, /delay/1)` });
});
