import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DownstreamRequest } from '../http/exchange.js';
import type { ConnectionInfo } from '../transport/connection-info.js';
import { parseRequestHead } from '../transport/http1/head-parser.js';
import { prepareHeaders } from './upstream-request.js';

function request(head: string, peerIdentity?: string): DownstreamRequest {
  const h = parseRequestHead(head, 100);
  const conn: ConnectionInfo = {
    id: 1,
    listener: 'l',
    direction: 'inbound',
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localAddress: '127.0.0.1',
    localPort: 2,
    protocol: 'http1',
    tls: peerIdentity !== undefined,
    peerIdentity,
    originalDestination: undefined,
    countError: () => {},
  };
  return {
    method: h.method,
    path: h.target,
    authority: 'a',
    scheme: peerIdentity === undefined ? 'http' : 'https',
    headers: h.headers,
    protocol: 'http1',
    body: undefined,
    conn,
    grpc: false,
    upgrade: undefined,
  };
}

test('only Host came: the proxy fields replace it', () => {
  const out = prepareHeaders(request('GET / HTTP/1.1\r\nHost: a'));
  assert.deepEqual(out.names, ['x-request-id', 'x-forwarded-proto']);
  assert.match(out.values[0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(out.values[1], 'http');
});

test('hop-by-hop and proxy-owned fields dropped, a client request id kept, order kept', () => {
  const out = prepareHeaders(
    request(
      'POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\nAccept: */*\r\nX-Request-Id: abc\r\n' +
        'X-Forwarded-Proto: https\r\nX-Forwarded-Client-Cert: forged\r\nTE: trailers\r\nKeep-Alive: timeout=5\r\nUser-Agent: t',
      'spiffe://cluster.local/ns/a/sa/b',
    ),
  );
  assert.deepEqual(out.names, ['accept', 'x-request-id', 'te', 'user-agent', 'x-forwarded-client-cert', 'x-forwarded-proto']);
  assert.deepEqual(out.values, ['*/*', 'abc', 'trailers', 't', 'URI=spiffe://cluster.local/ns/a/sa/b', 'https']);
});

test('request ids differ between requests', () => {
  const a = prepareHeaders(request('GET / HTTP/1.1\r\nHost: a')).get('x-request-id');
  const b = prepareHeaders(request('GET / HTTP/1.1\r\nHost: a')).get('x-request-id');
  assert.notEqual(a, b);
});
