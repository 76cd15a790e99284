// HTTP/2 and gRPC through the proxy with real clients: node's http2, @grpc/grpc-js, h2load.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { proxyFor, cluster } from '../support/proxy.js';
import type { Snapshot } from '../../src/model/snapshot.js';

const run = promisify(execFile);
const raw = (b: Buffer): Buffer => b;
const echoService: grpc.ServiceDefinition = {
  Echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
};
const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');

let http1: TestUpstream;
let grpcServer: grpc.Server;
let grpcPort = 0;
/** Fail this many calls with UNAVAILABLE before answering. */
let grpcFailures = 0;
let grpcCalls = 0;

before(async () => {
  http1 = await startUpstream('h1');
  grpcServer = new grpc.Server();
  grpcServer.addService(echoService, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      grpcCalls++;
      if (grpcFailures > 0) {
        grpcFailures--;
        return cb({ code: grpc.status.UNAVAILABLE, details: 'try again' });
      }
      if (call.request.toString() === 'boom') return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'no booms here' });
      cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
    },
  });
  grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
});
after(async () => {
  grpcServer.forceShutdown();
  await http1.close();
});

function meshSnapshot(): Snapshot {
  return {
    version: '1',
    listeners: [{ name: 'in', address: '127.0.0.1', port: 0, protocol: 'detect', routeConfig: 'main' }],
    routeConfigs: [
      {
        name: 'main',
        virtualHosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              {
                match: { path: { prefix: '/test.Echo/' } },
                forward: { destinations: [{ cluster: 'grpc' }], retry: { attempts: 2, retryOn: ['unavailable'], backoff: { baseMs: 1 } } },
              },
              { match: { path: { prefix: '/missing.Service/' } }, forward: { destinations: [{ cluster: 'empty' }] } },
              { forward: { destinations: [{ cluster: 'h1' }] } },
            ],
          },
        ],
      },
    ],
    clusters: [cluster('grpc', [grpcPort], { protocol: 'http2' }), cluster('h1', [http1.port]), cluster('empty', [], { protocol: 'http2' })],
  };
}

function unary(client: grpc.Client, method: string, payload: string): Promise<{ err: grpc.ServiceError | null; body?: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, raw, raw, Buffer.from(payload), (err: grpc.ServiceError | null, res?: Buffer) =>
      resolve({ err, body: res?.toString() }),
    );
  });
}

test('an HTTP/2 client reaches an HTTP/1 upstream through a detecting listener', async () => {
  const proxy = await proxyFor(meshSnapshot());
  const session = h2connect(`http://127.0.0.1:${proxy.port}`);
  try {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const s = session.request({ ':path': '/hello', ':authority': 'web.local' });
      let status = 0;
      let body = '';
      s.on('response', (h) => (status = Number(h[':status'])));
      s.on('data', (d: Buffer) => (body += d));
      s.on('end', () => resolve({ status, body }));
      s.on('error', reject);
      s.end();
    });
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body);
    assert.equal(seen.url, '/hello');
    assert.equal(seen.headers.host, 'web.local');
  } finally {
    session.close();
    await proxy.close();
  }
});

test('gRPC: unary calls, error statuses with trailers, retries on UNAVAILABLE, proxy errors as gRPC statuses', async () => {
  const proxy = await proxyFor(meshSnapshot());
  const client = new EchoClient(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
  try {
    const ok = await unary(client, '/test.Echo/Echo', 'hi');
    assert.equal(ok.err, null);
    assert.equal(ok.body, 'echo:hi');

    const bad = await unary(client, '/test.Echo/Echo', 'boom');
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(bad.err?.details, 'no booms here');

    grpcCalls = 0;
    grpcFailures = 2;
    const retried = await unary(client, '/test.Echo/Echo', 'again');
    assert.equal(retried.err, null, 'two UNAVAILABLE answers are retried away');
    assert.equal(grpcCalls, 3);

    const noEndpoint = await unary(client, '/missing.Service/Call', 'x');
    assert.equal(noEndpoint.err?.code, grpc.status.UNAVAILABLE);
    assert.match(noEndpoint.err?.details ?? '', /no healthy endpoint in cluster empty/);
  } finally {
    client.close();
    await proxy.close();
  }
});

test('h2load: many multiplexed streams all succeed', async () => {
  const proxy = await proxyFor(meshSnapshot());
  try {
    const { stdout } = await run('h2load', ['-n', '2000', '-c', '4', '-m', '10', `http://127.0.0.1:${proxy.port}/`], { timeout: 60_000 });
    assert.match(stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/);
    assert.match(stdout, /status codes: 2000 2xx/);
  } finally {
    await proxy.close();
  }
});
