// The proxy configuration of the standalone demo: a canary split of the reviews service, a
// header route for one test user, retries, and outlier detection — the traffic-management
// features of the data plane in one screen of config.
import type { Snapshot } from '../model/snapshot.js';

export function demoSnapshot(proxyPort: number, apps: Record<'v1' | 'v2' | 'v3', number>): Snapshot {
  const ep = (port: number, version: string) => ({ address: '127.0.0.1', port, labels: { app: 'reviews', version } });
  return {
    version: 'demo-1',
    listeners: [{ name: 'outbound', address: '127.0.0.1', port: proxyPort, direction: 'outbound', protocol: 'detect', routeConfig: 'outbound' }],
    routeConfigs: [
      {
        name: 'outbound',
        virtualHosts: [
          {
            name: 'reviews',
            domains: ['reviews', 'reviews.default', 'reviews.default.svc.cluster.local'],
            routes: [
              {
                name: 'jason-sees-v3',
                match: { headers: [{ name: 'end-user', value: { exact: 'jason' } }] },
                forward: {
                  destinations: [{ cluster: 'reviews', subset: 'v3' }],
                  retry: { attempts: 2, retryOn: ['5xx'], perTryTimeoutMs: 500 },
                },
              },
              {
                name: 'canary',
                forward: {
                  destinations: [
                    { cluster: 'reviews', subset: 'v1', weight: 80 },
                    { cluster: 'reviews', subset: 'v2', weight: 20 },
                  ],
                  timeoutMs: 2000,
                  retry: { attempts: 2, retryOn: ['5xx', 'connect-failure'] },
                },
              },
            ],
          },
        ],
      },
    ],
    clusters: [
      {
        name: 'reviews',
        endpoints: [ep(apps.v1, 'v1'), ep(apps.v2, 'v2'), ep(apps.v3, 'v3')],
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
          { name: 'v3', labels: { version: 'v3' } },
        ],
        loadBalancer: { policy: 'least_request' },
        outlierDetection: { consecutive5xx: 5, intervalMs: 5000, baseEjectionTimeMs: 10000, maxEjectionPercent: 50 },
      },
    ],
  };
}
