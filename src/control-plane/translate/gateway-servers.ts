// A gateway proxy's listeners: the servers of the Istio Gateways that select it, one listener per
// address and port. Servers sharing a port share the listener (and its route table). The first
// TLS-terminating server (SIMPLE, or MUTUAL: a client certificate from the credential's CA
// required; OPTIONAL_MUTUAL: checked when sent) on a port gives the listener's default certificate; a later one with another
// certificate or client CA adds it for its hosts, chosen by the client's SNI. PASSTHROUGH servers
// leave TLS to the backend: VirtualService `tls` routes choose it by SNI (gateway-passthrough.ts),
// and they share a port with terminating servers (a name a route claims is passed through, the
// others terminated). ISTIO_MUTUAL servers take mesh mTLS with the gateway's own SVID. What cannot
// share a port (plain and TLS, mesh mTLS and other TLS, another minimum TLS version, a second
// certificate for host "*") is reported and its server skipped.
import type { Gateway } from '../../api/istio-gateway.js';
import type { ListenerClientAuth, ListenerTls } from '../../model/snapshot.js';
import type { Context } from './context.js';
import type { GatewayCredential, GatewayNode } from './types.js';
import { selects } from './visibility.js';
import { describe } from './warnings.js';

export type Server = Gateway['spec']['servers'][number];

export interface ServerRef {
  readonly gateway: Gateway;
  /** `namespace/name`, as VirtualServices bind to it. */
  readonly gatewayName: string;
  readonly server: Server;
  /** `spec.servers[i]`. */
  readonly path: string;
}

/** plain: HTTP; tls: the gateway terminates or passes TLS through; mesh: ISTIO_MUTUAL. */
export type ListenerFamily = 'plain' | 'tls' | 'mesh';

export interface ListenerGroup {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly family: ListenerFamily;
  /** Grows SNI entries as servers with other certificates join; undefined while none terminates. */
  tls: ListenerTls | undefined;
  /** Servers whose HTTP requests the listener routes (plain, terminated, mesh mTLS). */
  readonly servers: ServerRef[];
  /** PASSTHROUGH servers: their connections go by SNI to VirtualService `tls` routes. */
  readonly passthrough: ServerRef[];
}

const PLAIN = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

type ServerKind = 'plain' | 'terminate' | 'passthrough' | 'mesh';

/** What the gateway does with a server's connections, or why it cannot (undefined after a warning). */
function serverKind(ctx: Context, gateway: Gateway, server: Server, path: string): ServerKind | undefined {
  const protocol = server.port.protocol.toUpperCase();
  if (PLAIN.has(protocol)) return 'plain';
  if (protocol !== 'HTTPS' && protocol !== 'TLS') {
    ctx.warnings.at(gateway, `${path}.port.protocol`, `${protocol} servers are not supported yet (HTTP, HTTP2, GRPC, HTTPS, or TLS with tls.mode PASSTHROUGH); the server is skipped`);
    return undefined;
  }
  // Istio's default mode is PASSTHROUGH.
  const mode = server.tls?.mode ?? 'PASSTHROUGH';
  if (mode === 'PASSTHROUGH') return 'passthrough';
  if (mode === 'AUTO_PASSTHROUGH') {
    ctx.warnings.at(gateway, `${path}.tls.mode`, 'AUTO_PASSTHROUGH serves multi-network east-west traffic, which maille does not have yet; the server is skipped');
    return undefined;
  }
  if (protocol === 'TLS') {
    ctx.warnings.at(gateway, `${path}.tls.mode`, `${mode} on a TLS server (TLS terminated, then TCP routes) is not supported yet (PASSTHROUGH is); the server is skipped`);
    return undefined;
  }
  if (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') return 'terminate';
  if (mode === 'ISTIO_MUTUAL') return 'mesh';
  // The schema admits no other mode; kept so a new one added there is reported, not crashed on.
  ctx.warnings.at(gateway, `${path}.tls.mode`, `${mode} is not supported yet (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL and PASSTHROUGH are); the server is skipped`);
  return undefined;
}

export function listenerGroups(ctx: Context, node: GatewayNode): ListenerGroup[] {
  const groups = new Map<string, ListenerGroup>();
  for (const { resource: gateway } of ctx.index.gateways) {
    if (!selects(gateway.spec.selector, node.labels)) continue;
    gateway.spec.servers.forEach((server, i) => {
      const path = `spec.servers[${i}]`;
      const kind = serverKind(ctx, gateway, server, path);
      if (kind === undefined) return;
      let tls: ListenerTls | undefined;
      if (kind === 'terminate') {
        tls = serverTls(ctx, node, gateway, server, path);
        if (tls === undefined) return;
      } else if (kind === 'mesh') {
        const extra = (['credentialName', 'serverCertificate', 'privateKey', 'caCertificates', 'subjectAltNames'] as const).filter((f) => server.tls?.[f] !== undefined);
        if (extra.length > 0) ctx.warnings.at(gateway, `${path}.tls`, `ISTIO_MUTUAL uses the gateway's mesh certificate; ${extra.join(', ')} ignored`);
      }
      const family: ListenerFamily = kind === 'plain' ? 'plain' : kind === 'mesh' ? 'mesh' : 'tls';
      const address = server.bind ?? node.address ?? '0.0.0.0';
      const port = node.targetPorts?.[server.port.number] ?? server.port.number;
      const key = `${address}|${port}`;
      let group = groups.get(key);
      const skip = (why: string): void => {
        const first = (group as ListenerGroup).servers[0] ?? (group as ListenerGroup).passthrough[0];
        ctx.warnings.at(gateway, path, `port ${server.port.number} is already served by ${describe(first.gateway)} ${first.path} ${why}, so this server is skipped`);
      };
      if (group === undefined) {
        const name = server.bind === undefined ? `gateway-${port}` : `gateway-${server.bind}-${port}`;
        groups.set(key, (group = { name, address, port, family, tls, servers: [], passthrough: [] }));
      } else if (group.family !== family) {
        return skip(familyConflict(group.family, family));
      } else if (tls !== undefined && group.tls === undefined) {
        group.tls = tls; // the first terminating server on a port that only passed TLS through so far
      } else if (tls !== undefined && group.tls !== undefined && !(sameTermination(group.tls, tls) && group.tls.minVersion === tls.minVersion)) {
        const why = cannotShare(group.tls, tls, server);
        if (why !== undefined) return skip(why);
        group.tls = withSni(group.tls, tls, sniNames(server) as string[]);
      }
      const ref = { gateway, gatewayName: `${gateway.metadata.namespace}/${gateway.metadata.name}`, server, path };
      (kind === 'passthrough' ? group.passthrough : group.servers).push(ref);
    });
  }
  return [...groups.values()].sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function familyConflict(existing: ListenerFamily, joining: ListenerFamily): string {
  const what: Record<ListenerFamily, string> = { plain: 'plain HTTP', tls: 'TLS', mesh: 'mesh mTLS (ISTIO_MUTUAL)' };
  return `with ${what[existing]}; a port is one of plain HTTP, TLS or mesh mTLS, not ${what[joining]} too`;
}

/** What a terminating server presents and asks of clients: one SNI entry's worth. */
type Termination = Pick<ListenerTls, 'certFile' | 'keyFile' | 'certificatePem' | 'privateKeyPem' | 'clientAuth'>;

function terminationOf(t: Termination): Termination {
  const cert = t.certFile !== undefined ? { certFile: t.certFile, keyFile: t.keyFile } : { certificatePem: t.certificatePem, privateKeyPem: t.privateKeyPem };
  return t.clientAuth ? { ...cert, clientAuth: t.clientAuth } : cert;
}

function sameTermination(a: Termination, b: Termination): boolean {
  return (
    a.certFile === b.certFile &&
    a.keyFile === b.keyFile &&
    a.certificatePem === b.certificatePem &&
    a.privateKeyPem === b.privateKeyPem &&
    JSON.stringify(a.clientAuth ?? null) === JSON.stringify(b.clientAuth ?? null)
  );
}

/** The names SNI selects this server's certificate by; undefined when one is "*" (any name). */
function sniNames(server: Server): string[] | undefined {
  const names = server.hosts.map((h) => h.slice(h.indexOf('/') + 1).toLowerCase());
  return names.includes('*') ? undefined : names;
}

/** Why a terminating server cannot join the listener `existing` as an SNI entry, if it cannot. */
function cannotShare(existing: ListenerTls, tls: ListenerTls, server: Server): string | undefined {
  if (existing.minVersion !== tls.minVersion) return 'with another minProtocolVersion; a port has one';
  if (sniNames(server) === undefined) return 'with another certificate or client CA; a second one is chosen by SNI, which cannot select host "*"';
  return undefined;
}

function withSni(tls: ListenerTls, other: ListenerTls, names: string[]): ListenerTls {
  const sni = [...(tls.sni ?? [])];
  const same = sni.findIndex((e) => sameTermination(e, other));
  if (same >= 0) sni[same] = { ...sni[same], serverNames: [...sni[same].serverNames, ...names] };
  else sni.push({ serverNames: names, ...terminationOf(other) });
  return { ...tls, sni };
}

function serverTls(ctx: Context, node: GatewayNode, gateway: Gateway, server: Server, path: string): ListenerTls | undefined {
  const t = server.tls ?? {};
  let cert: Pick<ListenerTls, 'certFile' | 'keyFile' | 'certificatePem' | 'privateKeyPem'>;
  let credential: GatewayCredential | undefined;
  if (t.serverCertificate && t.privateKey) {
    cert = { certFile: t.serverCertificate, keyFile: t.privateKey };
  } else if (t.credentialName) {
    credential = findCredential(ctx, node, t.credentialName);
    if (credential === undefined) {
      ctx.warnings.at(gateway, `${path}.tls.credentialName`, `credential "${t.credentialName}" is not known to the control plane; the server is skipped`);
      return undefined;
    }
    const found = credential;
    cert = 'certFile' in found ? { certFile: found.certFile, keyFile: found.keyFile } : { certificatePem: found.certificatePem, privateKeyPem: found.privateKeyPem };
  } else {
    ctx.warnings.at(gateway, `${path}.tls`, 'several certificates per server (credentialNames, tlsCertificates) are not supported yet; the server is skipped');
    return undefined;
  }
  const min = t.minProtocolVersion;
  if (min === 'TLSV1_0' || min === 'TLSV1_1') ctx.warnings.at(gateway, `${path}.tls.minProtocolVersion`, 'the proxy accepts TLS 1.2 and above only');
  for (const field of ['maxProtocolVersion', 'cipherSuites'] as const) {
    if (t[field] !== undefined) ctx.warnings.at(gateway, `${path}.tls.${field}`, 'not supported yet; the proxy\'s defaults apply');
  }
  let clientAuth: ListenerClientAuth | undefined;
  if (t.mode === 'MUTUAL' || t.mode === 'OPTIONAL_MUTUAL') {
    clientAuth = mutualClientAuth(ctx, node, gateway, t, credential, path);
    if (clientAuth === undefined) return undefined;
    if (t.mode === 'OPTIONAL_MUTUAL') clientAuth = { ...clientAuth, optional: true };
  } else if (t.subjectAltNames !== undefined) {
    ctx.warnings.at(gateway, `${path}.tls.subjectAltNames`, `applies to client certificates, which only MUTUAL and OPTIONAL_MUTUAL ask for; ignored under ${t.mode}`);
  }
  return { ...cert, ...(min === 'TLSV1_2' ? { minVersion: 'TLSv1.2' } : min === 'TLSV1_3' ? { minVersion: 'TLSv1.3' } : {}), ...(clientAuth ? { clientAuth } : {}) };
}

/** As Istio looks a secret up: in the gateway's namespace first. */
function findCredential(ctx: Context, node: GatewayNode, name: string): GatewayCredential | undefined {
  return ctx.credentials[`${node.namespace}/${name}`] ?? ctx.credentials[name];
}

/**
 * MUTUAL's client check: the CA from `caCertificates` (a file, as Istio's file-mounted form), else
 * the credential's CA (the secret's ca.crt, or Istio's separate `<credentialName>-cacert`).
 */
function mutualClientAuth(ctx: Context, node: GatewayNode, gateway: Gateway, t: NonNullable<Server['tls']>, credential: GatewayCredential | undefined, path: string): ListenerClientAuth | undefined {
  for (const field of ['verifyCertificateSpki', 'verifyCertificateHash', 'caCrl'] as const) {
    if (t[field] !== undefined) ctx.warnings.at(gateway, `${path}.tls.${field}`, 'not supported yet; clients are checked by CA and subjectAltNames only');
  }
  const sans = t.subjectAltNames && t.subjectAltNames.length > 0 ? { subjectAltNames: [...t.subjectAltNames] } : {};
  if (t.caCertificates) return { caCertificatesFile: t.caCertificates, ...sans };
  const caOf = (c: GatewayCredential | undefined): ListenerClientAuth | undefined =>
    c === undefined ? undefined : 'certFile' in c ? (c.caCertFile ? { caCertificatesFile: c.caCertFile } : undefined) : c.caCertificatesPem ? { caCertificatesPem: c.caCertificatesPem } : undefined;
  const ca = caOf(credential) ?? (t.credentialName ? caOf(findCredential(ctx, node, `${t.credentialName}-cacert`)) : undefined);
  if (ca === undefined) {
    const where = t.credentialName ? `credential "${t.credentialName}" has no CA certificate (caCertFile, the secret's ca.crt)` : 'no caCertificates';
    ctx.warnings.at(gateway, `${path}.tls`, `${t.mode} needs a CA to verify client certificates: ${where}; the server is skipped`);
    return undefined;
  }
  return { ...ca, ...sans };
}
