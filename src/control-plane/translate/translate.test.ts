// Golden tests: each case translates Istio / Gateway API YAML (testdata/*.yaml) for one proxy
// and compares the whole result, snapshot and warnings, with testdata/<case>.golden.json.
// UPDATE_GOLDEN=1 rewrites the goldens; review the diff by hand before committing it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Resource } from '../../api/kinds.js';
import { validateSnapshot } from '../../proxy/config/validate.js';
import { compileRouteConfig } from '../../proxy/router/compile.js';
import type { RegistrySnapshot } from '../registry/types.js';
import { ingressGateway, loadResources, MESH, meshRegistry, sidecarOf, testdataDir } from './testing.js';
import { translate, type GatewayCredential, type ProxyNode, type TranslateResult } from './index.js';

interface Case {
  name: string;
  files: string[];
  proxy: (registry: RegistrySnapshot) => ProxyNode;
  credentials?: Record<string, GatewayCredential>;
}

const productpage = (r: RegistrySnapshot) => sidecarOf(r, 'productpage-v1-0');
const ledger = (r: RegistrySnapshot) => sidecarOf(r, 'ledger-v1-0');
const DR = 'bookinfo-destination-rules.yaml';

const CASES: Case[] = [
  { name: 'bookinfo-default', files: [], proxy: productpage },
  { name: 'bookinfo-reviews-sidecar', files: [], proxy: (r) => sidecarOf(r, 'reviews-v2-0') },
  { name: 'all-v1', files: [DR, 'virtual-service-all-v1.yaml'], proxy: productpage },
  { name: 'reviews-jason', files: [DR, 'reviews-test-v2.yaml'], proxy: productpage },
  { name: 'reviews-50-50', files: [DR, 'reviews-50-v3.yaml'], proxy: productpage },
  { name: 'reviews-90-10', files: [DR, 'reviews-90-10.yaml'], proxy: productpage },
  { name: 'ratings-delay', files: [DR, 'ratings-test-delay.yaml'], proxy: (r) => sidecarOf(r, 'reviews-v2-0') },
  { name: 'ratings-abort', files: [DR, 'ratings-test-abort.yaml'], proxy: (r) => sidecarOf(r, 'reviews-v2-0') },
  { name: 'request-timeouts', files: [DR, 'request-timeouts.yaml'], proxy: productpage },
  { name: 'circuit-breaker', files: ['circuit-breaker.yaml'], proxy: productpage },
  { name: 'export-to-default', files: ['export-to.yaml'], proxy: productpage },
  { name: 'export-to-other', files: ['export-to.yaml'], proxy: ledger },
  { name: 'gateway-bookinfo', files: ['gateway-bookinfo.yaml'], proxy: () => ingressGateway() },
  {
    name: 'gateway-tls',
    files: ['gateway-tls.yaml'],
    proxy: () => ingressGateway(),
    credentials: { 'istio-system/api-cert': { certFile: '/var/run/maille/credentials/api-cert/tls.crt', keyFile: '/var/run/maille/credentials/api-cert/tls.key' } },
  },
  {
    name: 'gateway-tls-modes',
    files: ['gateway-tls-modes.yaml'],
    proxy: () => ingressGateway(),
    credentials: {
      'secure-cert': { certFile: '/creds/secure/tls.crt', keyFile: '/creds/secure/tls.key', caCertFile: '/creds/secure/ca.crt' },
      'www-cert': { certificatePem: 'WWW CERT PEM', privateKeyPem: 'WWW KEY PEM' },
    },
  },
  { name: 'gamma-default', files: ['gamma.yaml'], proxy: productpage },
  { name: 'gamma-other', files: ['gamma.yaml'], proxy: ledger },
  { name: 'service-entry', files: ['service-entry.yaml'], proxy: productpage },
  { name: 'route-actions', files: ['route-actions.yaml'], proxy: productpage },
  { name: 'conflicts', files: ['conflicts.yaml'], proxy: productpage },
  // Mesh mTLS: PeerAuthentication (server side) and auto mTLS (client side).
  { name: 'mtls-mesh-strict', files: ['mtls-mesh-strict.yaml'], proxy: productpage },
  { name: 'mtls-mesh-strict-gateway', files: ['gateway-bookinfo.yaml', 'mtls-mesh-strict.yaml'], proxy: () => ingressGateway() },
  { name: 'mtls-namespace-default', files: ['mtls-namespace.yaml'], proxy: productpage },
  { name: 'mtls-namespace-other', files: ['mtls-namespace.yaml'], proxy: ledger },
  { name: 'mtls-workload-productpage', files: [DR, 'reviews-50-v3.yaml', 'mtls-workload.yaml'], proxy: productpage },
  { name: 'mtls-workload-ratings', files: ['mtls-workload.yaml'], proxy: (r) => sidecarOf(r, 'ratings-v1-0') },
  { name: 'mtls-workload-details', files: ['mtls-workload.yaml'], proxy: (r) => sidecarOf(r, 'details-v1-0') },
  { name: 'mtls-destination-rules', files: ['mtls-destination-rules.yaml'], proxy: productpage },
];

const update = process.env.UPDATE_GOLDEN === '1';

function run(c: Case): TranslateResult {
  const registry = meshRegistry();
  const resources: Resource[] = c.files.flatMap(loadResources);
  return translate({ resources, registry, mesh: MESH, proxy: c.proxy(registry), credentials: c.credentials });
}

describe('translate golden snapshots', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const result = run(c);
      const golden = join(testdataDir(), `${c.name}.golden.json`);
      const actual = `${JSON.stringify({ warnings: result.warnings, snapshot: result.snapshot }, null, 2)}\n`;
      if (update) writeFileSync(golden, actual);
      assert.equal(actual, readFileSync(golden, 'utf8'), `${c.name}: translate output differs from ${golden} (UPDATE_GOLDEN=1 rewrites it)`);
    });
  }
});

describe('every translated snapshot is one the proxy accepts', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { snapshot } = run(c);
      validateSnapshot(structuredClone(snapshot), c.name);
      for (const rc of snapshot.routeConfigs ?? []) compileRouteConfig(rc);
    });
  }
});
