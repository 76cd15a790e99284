// Rules a schema cannot express: references between parts of the snapshot, combinations of
// fields, and values that must compile. Runs only on a schema-valid snapshot, so it can trust the
// types; every problem is collected, none stops the others.
import type { Cluster, Listener, ListenerClientAuth, Snapshot } from '../../model/snapshot.js';
import { CheckContext } from './check-context.js';
import { checkHeaderName } from './check-headers.js';
import { checkRouteConfig } from './check-routes.js';
import { listNames, type FieldPath } from './path.js';
import type { Problem } from './schema-problems.js';

/** Where a listener binds when it names no address (as the proxy does). */
export const DEFAULT_LISTENER_ADDRESS = '127.0.0.1';

export function semanticProblems(snapshot: Snapshot): Problem[] {
  const ctx = new CheckContext(snapshot);
  const listeners = snapshot.listeners;
  const routeConfigs = snapshot.routeConfigs ?? [];
  const clusters = snapshot.clusters ?? [];

  const listenerName = ctx.uniqueNames(['listeners'], 'listener');
  const port = portChecker(ctx, listeners);
  listeners.forEach((l, i) => {
    listenerName(i, l.name);
    port(i, l);
    checkListener(ctx, ['listeners', i], l);
  });

  const routeConfigName = ctx.uniqueNames(['routeConfigs'], 'route config');
  routeConfigs.forEach((rc, i) => {
    routeConfigName(i, rc.name);
    checkRouteConfig(ctx, ['routeConfigs', i], rc);
  });

  const clusterName = ctx.uniqueNames(['clusters'], 'cluster');
  clusters.forEach((c, i) => {
    clusterName(i, c.name);
    checkCluster(ctx, ['clusters', i], c);
  });
  return ctx.problems;
}

/** Two listeners on one address and port cannot both bind; port 0 is a fresh port each time. */
function portChecker(ctx: CheckContext, listeners: Listener[]): (index: number, l: Listener) => void {
  const taken = new Map<string, number>();
  return (i, l) => {
    if (l.port === 0) return;
    const address = (l.address ?? DEFAULT_LISTENER_ADDRESS).toLowerCase();
    const key = `${address.includes(':') ? `[${address}]` : address}:${l.port}`;
    const j = taken.get(key);
    if (j === undefined) taken.set(key, i);
    else ctx.report(['listeners', i, 'port'], `${key} is already used by listeners[${j}] ("${listeners[j].name}")`);
  };
}

function checkListener(ctx: CheckContext, path: FieldPath, l: Listener): void {
  const protocol = l.protocol ?? 'detect';
  const which = l.protocol === undefined ? 'detect (the default)' : protocol;
  if (l.routeConfig !== undefined && !ctx.routeConfigNames.has(l.routeConfig)) {
    const known = [...ctx.routeConfigNames];
    const hint = known.length > 0 ? `route configs: ${listNames(known)}` : 'no route configs defined';
    ctx.report([...path, 'routeConfig'], `no route config named "${l.routeConfig}" (${hint})`);
  }
  if (l.tcpCluster !== undefined) ctx.checkClusterRef([...path, 'tcpCluster'], l.tcpCluster);
  if (l.tls && l.mtls) ctx.report([...path, 'mtls'], 'is not allowed together with tls (one listener terminates one kind of TLS)');
  if (l.tls) {
    const tlsPath = [...path, 'tls'];
    if ((l.tls.certificatePem === undefined) === (l.tls.certFile === undefined)) {
      ctx.report(tlsPath, 'needs exactly one of certificatePem, certFile');
    }
    if ((l.tls.privateKeyPem === undefined) === (l.tls.keyFile === undefined)) {
      ctx.report(tlsPath, 'needs exactly one of privateKeyPem, keyFile');
    }
    (l.tls.sni ?? []).forEach((c, i) => {
      if ((c.certificatePem === undefined) === (c.certFile === undefined)) ctx.report([...tlsPath, 'sni', i], 'needs exactly one of certificatePem, certFile');
      if ((c.privateKeyPem === undefined) === (c.keyFile === undefined)) ctx.report([...tlsPath, 'sni', i], 'needs exactly one of privateKeyPem, keyFile');
      checkClientAuth(ctx, [...tlsPath, 'sni', i, 'clientAuth'], c.clientAuth);
    });
    checkClientAuth(ctx, [...tlsPath, 'clientAuth'], l.tls.clientAuth);
  }
  if (l.sniRoutes) {
    if (l.mtls) ctx.report([...path, 'sniRoutes'], 'is not allowed together with mtls (mesh mTLS terminates every connection)');
    l.sniRoutes.forEach((r, i) => r.destinations.forEach((d, j) => ctx.checkClusterRef([...path, 'sniRoutes', i, 'destinations', j, 'cluster'], d.cluster)));
  }

  // A setting the listener would never use is as misleading as a typo, so it is an error too.
  if (protocol === 'tcp') {
    if (l.tcpCluster === undefined && l.sniRoutes === undefined) ctx.report([...path, 'tcpCluster'], 'is required when protocol is tcp');
    if (l.routeConfig !== undefined) {
      ctx.report([...path, 'routeConfig'], 'is not allowed when protocol is tcp (only http1, http2 and detect route HTTP)');
    }
  } else {
    if (l.routeConfig === undefined) ctx.report([...path, 'routeConfig'], `is required when protocol is ${which}`);
    if (l.tcpCluster !== undefined && protocol !== 'detect') {
      ctx.report([...path, 'tcpCluster'], `is not allowed when protocol is ${protocol} (only tcp and detect)`);
    }
  }
}

function checkClientAuth(ctx: CheckContext, path: FieldPath, auth: ListenerClientAuth | undefined): void {
  if (auth === undefined) return;
  if ((auth.caCertificatesPem === undefined) === (auth.caCertificatesFile === undefined)) ctx.report(path, 'needs exactly one of caCertificatesPem, caCertificatesFile');
}

function checkCluster(ctx: CheckContext, path: FieldPath, c: Cluster): void {
  const subsetName = ctx.uniqueNames([...path, 'subsets'], 'subset');
  (c.subsets ?? []).forEach((s, i) => subsetName(i, s.name));
  const lb = c.loadBalancer;
  if (lb?.policy === 'consistent_hash' && lb.hash === undefined) {
    ctx.report([...path, 'loadBalancer', 'hash'], 'is required when policy is consistent_hash');
  }
  if (lb && lb.policy !== 'consistent_hash' && lb.hash !== undefined) {
    ctx.report([...path, 'loadBalancer', 'hash'], `is only allowed when policy is consistent_hash (policy is ${lb.policy})`);
  }
  if (lb?.hash && 'header' in lb.hash) checkHeaderName(ctx, [...path, 'loadBalancer', 'hash', 'header'], lb.hash.header);
}
