// A gateway proxy's listeners: the servers of the Istio Gateways that select it, one listener per
// address and port. Servers sharing a port share the listener (and its route table). The first
// TLS server on a port gives the listener's default certificate; a later one with another
// certificate adds it for its hosts, chosen by the client's SNI. What cannot share a port (plain
// and TLS, another minimum TLS version, a second certificate for host "*") is reported and its
// server skipped.
import type { Gateway } from '../../api/istio-gateway.js';
import type { ListenerTls } from '../../model/snapshot.js';
import type { Context } from './context.js';
import type { GatewayNode } from './types.js';
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

export interface ListenerGroup {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Grows SNI entries as servers with other certificates join. */
  tls: ListenerTls | undefined;
  readonly servers: ServerRef[];
}

const PLAIN = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

export function listenerGroups(ctx: Context, node: GatewayNode): ListenerGroup[] {
  const groups = new Map<string, ListenerGroup>();
  for (const { resource: gateway } of ctx.index.gateways) {
    if (!selects(gateway.spec.selector, node.labels)) continue;
    gateway.spec.servers.forEach((server, i) => {
      const path = `spec.servers[${i}]`;
      const protocol = server.port.protocol.toUpperCase();
      let tls: ListenerTls | undefined;
      if (protocol === 'HTTPS') {
        const mode = server.tls?.mode ?? 'PASSTHROUGH';
        if (mode !== 'SIMPLE') {
          ctx.warnings.at(gateway, `${path}.tls.mode`, `${mode} is not supported yet (HTTPS servers need SIMPLE); the server is skipped`);
          return;
        }
        tls = serverTls(ctx, node, gateway, server, path);
        if (tls === undefined) return;
      } else if (!PLAIN.has(protocol)) {
        ctx.warnings.at(gateway, `${path}.port.protocol`, `${protocol} servers are not supported yet (HTTP, HTTP2, GRPC, or HTTPS with tls.mode SIMPLE); the server is skipped`);
        return;
      }
      const address = server.bind ?? node.address ?? '0.0.0.0';
      const port = node.targetPorts?.[server.port.number] ?? server.port.number;
      const key = `${address}|${port}`;
      let group = groups.get(key);
      if (group === undefined) {
        const name = server.bind === undefined ? `gateway-${port}` : `gateway-${server.bind}-${port}`;
        groups.set(key, (group = { name, address, port, tls, servers: [] }));
      } else if (!sameCertificate(group.tls, tls) || group.tls?.minVersion !== tls?.minVersion) {
        const why = cannotShare(group.tls, tls, server);
        if (why !== undefined) {
          const first = group.servers[0];
          ctx.warnings.at(gateway, path, `port ${server.port.number} is already served by ${describe(first.gateway)} ${first.path} ${why}, so this server is skipped`);
          return;
        }
        group.tls = withSni(group.tls as ListenerTls, tls as ListenerTls, sniNames(server) as string[]);
      }
      group.servers.push({ gateway, gatewayName: `${gateway.metadata.namespace}/${gateway.metadata.name}`, server, path });
    });
  }
  return [...groups.values()].sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

type Certificate = Pick<ListenerTls, 'certFile' | 'keyFile' | 'certificatePem' | 'privateKeyPem'>;

function certificateOf(t: Certificate): Certificate {
  return t.certFile !== undefined ? { certFile: t.certFile, keyFile: t.keyFile } : { certificatePem: t.certificatePem, privateKeyPem: t.privateKeyPem };
}

function sameCertificate(a: Certificate | undefined, b: Certificate | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.certFile === b.certFile && a.keyFile === b.keyFile && a.certificatePem === b.certificatePem && a.privateKeyPem === b.privateKeyPem;
}

/** The names SNI selects this server's certificate by; undefined when one is "*" (any name). */
function sniNames(server: Server): string[] | undefined {
  const names = server.hosts.map((h) => h.slice(h.indexOf('/') + 1).toLowerCase());
  return names.includes('*') ? undefined : names;
}

/** Why a TLS server cannot join the listener `existing` as an SNI certificate, if it cannot. */
function cannotShare(existing: ListenerTls | undefined, tls: ListenerTls | undefined, server: Server): string | undefined {
  if (existing === undefined) return 'with plain HTTP; a port is either plain or TLS';
  if (tls === undefined) return 'with TLS; a port is either plain or TLS';
  if (existing.minVersion !== tls.minVersion) return 'with another minProtocolVersion; a port has one';
  if (sniNames(server) === undefined) return 'with another certificate; a second certificate is chosen by SNI, which cannot select host "*"';
  return undefined;
}

function withSni(tls: ListenerTls, other: ListenerTls, names: string[]): ListenerTls {
  const sni = [...(tls.sni ?? [])];
  const same = sni.findIndex((e) => sameCertificate(e, other));
  if (same >= 0) sni[same] = { ...sni[same], serverNames: [...sni[same].serverNames, ...names] };
  else sni.push({ serverNames: names, ...certificateOf(other) });
  return { ...tls, sni };
}

function serverTls(ctx: Context, node: GatewayNode, gateway: Gateway, server: Server, path: string): ListenerTls | undefined {
  const t = server.tls ?? {};
  let cert: Pick<ListenerTls, 'certFile' | 'keyFile' | 'certificatePem' | 'privateKeyPem'>;
  if (t.serverCertificate && t.privateKey) {
    cert = { certFile: t.serverCertificate, keyFile: t.privateKey };
  } else if (t.credentialName) {
    const found = ctx.credentials[`${node.namespace}/${t.credentialName}`] ?? ctx.credentials[t.credentialName];
    if (found === undefined) {
      ctx.warnings.at(gateway, `${path}.tls.credentialName`, `credential "${t.credentialName}" is not known to the control plane; the server is skipped`);
      return undefined;
    }
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
  return { ...cert, ...(min === 'TLSV1_2' ? { minVersion: 'TLSv1.2' } : min === 'TLSV1_3' ? { minVersion: 'TLSv1.3' } : {}) };
}
