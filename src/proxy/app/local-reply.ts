// Responses the proxy makes itself: errors, direct responses, redirects, fault aborts.
//
// Every one says so: `x-maille-error: <CODE>` and a body sentence naming what failed and why.
// gRPC callers get a trailers-only response with grpc-status/grpc-message instead, which their
// client libraries turn into a proper status.
import { HeaderList } from '../http/headers.js';
import type { DownstreamRequest, DownstreamResponse } from '../http/exchange.js';
import { ERROR_HEADER, grpcStatusFor, type ProxyError } from '../http/errors.js';

export function sendBody(res: DownstreamResponse, status: number, headers: HeaderList, body: string): void {
  if (res.headSent) {
    res.reset();
    return;
  }
  const buf = Buffer.from(body, 'utf8');
  res.writeHead({ status, headers, encoding: buf.length > 0 ? 'plain' : undefined, length: buf.length });
  if (buf.length > 0) res.body.data(buf);
  res.body.end();
}

export function sendError(req: DownstreamRequest, res: DownstreamResponse, err: ProxyError): void {
  req.conn.countError(err.code);
  if (res.headSent) {
    res.reset();
    return;
  }
  const headers = new HeaderList();
  headers.add(ERROR_HEADER, err.code);
  if (req.grpc) {
    headers.add('content-type', 'application/grpc');
    headers.add('grpc-status', String(grpcStatusFor(err.status)));
    headers.add('grpc-message', grpcMessage(err.message));
    res.writeHead({ status: 200, headers, encoding: undefined, length: undefined });
    res.body.end();
    return;
  }
  headers.add('content-type', 'text/plain; charset=utf-8');
  sendBody(res, err.status, headers, `${err.code}: ${err.message}\n`);
}

/** gRPC's percent-encoding of grpc-message: only bytes outside printable ASCII, and '%'. */
export function grpcMessage(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}
