// A valid snapshot using every part of the model, for tests here and elsewhere: each test
// clones it and breaks one thing.
import type { Snapshot } from '../../model/snapshot.js';

export function fullSnapshot(): Snapshot {
  return {
    version: 'v1',
    drainTimeoutMs: 5000,
    listeners: [
      {
        name: 'outbound',
        address: '127.0.0.1',
        port: 15001,
        direction: 'outbound',
        protocol: 'detect',
        detectTimeoutMs: 300,
        routeConfig: 'outbound-routes',
        tcpCluster: 'passthrough',
        limits: { maxHeaderBytes: 65536, maxHeaderCount: 100, headerTimeoutMs: 10000, idleTimeoutMs: 60000 },
      },
      { name: 'inbound', port: 15006, direction: 'inbound', protocol: 'http2', routeConfig: 'inbound-routes' },
      { name: 'db', port: 0, protocol: 'tcp', tcpCluster: 'passthrough' },
    ],
    routeConfigs: [
      {
        name: 'outbound-routes',
        virtualHosts: [
          {
            name: 'reviews',
            domains: ['reviews', 'reviews.default.svc.cluster.local'],
            routes: [
              {
                name: 'canary',
                match: {
                  path: { prefix: '/api/' },
                  headers: [
                    { name: 'x-canary', value: { exact: 'yes' } },
                    { name: 'x-user', value: { regex: '(?i)[a-z]+-(?P<id>[0-9]+)' } },
                    { name: 'x-debug', present: false },
                  ],
                  queryParams: [{ name: 'v', value: { suffix: '2' } }],
                  methods: ['GET', 'POST'],
                  ignoreCase: true,
                },
                forward: {
                  destinations: [
                    { cluster: 'reviews', subset: 'v1', weight: 90 },
                    { cluster: 'reviews', subset: 'v2', weight: 10, requestHeaders: { set: { 'x-version': 'v2' } } },
                  ],
                  timeoutMs: 3000,
                  retry: {
                    attempts: 2,
                    perTryTimeoutMs: 1000,
                    retryOn: ['5xx', 'connect-failure', 'retriable-status-codes'],
                    retriableStatusCodes: [409],
                    backoff: { baseMs: 25, maxMs: 250 },
                  },
                  mirrors: [{ cluster: 'reviews', subset: 'v2', percent: 5 }],
                  rewrite: { pathPrefix: '/', authority: 'reviews.internal' },
                },
                requestHeaders: { add: { 'x-mesh': 'maille' }, remove: ['x-internal'] },
                responseHeaders: { set: { 'cache-control': 'no-store' } },
                fault: { delay: { fixedMs: 100, percent: 1 }, abort: { httpStatus: 503, percent: 0.5 } },
              },
              { name: 'old', match: { path: { exact: '/old' } }, redirect: { path: '/new', status: 301 } },
              { name: 'teapot', direct: { status: 418, body: 'short and stout', headers: { 'content-type': 'text/plain' } } },
            ],
          },
        ],
      },
      {
        name: 'inbound-routes',
        virtualHosts: [{ name: 'local', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'local-app' }] } }] }],
      },
    ],
    clusters: [
      {
        name: 'reviews',
        protocol: 'http1',
        endpoints: [
          { address: '127.0.0.1', port: 9081, weight: 2, labels: { version: 'v1' }, locality: 'local', healthy: true },
          { address: '127.0.0.1', port: 9082, labels: { version: 'v2' } },
        ],
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
        loadBalancer: { policy: 'consistent_hash', hash: { header: 'x-user' } },
        connectionPool: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200, maxRetries: 3, connectTimeoutMs: 1000 },
        outlierDetection: { consecutive5xx: 5, intervalMs: 10000, baseEjectionTimeMs: 30000, maxEjectionPercent: 50 },
        retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttlMs: 10000 },
      },
      { name: 'local-app', protocol: 'http2', endpoints: [{ address: '127.0.0.1', port: 9080 }], loadBalancer: { policy: 'least_request' } },
      { name: 'passthrough', protocol: 'tcp', endpoints: [{ address: '127.0.0.1', port: 5432 }] },
    ],
  };
}
