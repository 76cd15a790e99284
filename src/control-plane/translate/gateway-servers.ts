// A gateway proxy's listeners: the servers of the Istio Gateways that select it, one listener per
// address and port. Servers sharing a port share the listener (and its route table) when their
// TLS settings agree; the proxy has one certificate per listener (no SNI selection yet), so a
// second certificate on a port is reported and its server skipped.
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
  readonly tls: ListenerTls | undefined;
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
      const address = server.bind ?? '0.0.0.0';
      const key = `${address}|${server.port.number}`;
      let group = groups.get(key);
      if (group === undefined) {
        const name = server.bind === undefined ? `gateway-${server.port.number}` : `gateway-${server.bind}-${server.port.number}`;
        groups.set(key, (group = { name, address, port: server.port.number, tls, servers: [] }));
      } else if (JSON.stringify(group.tls) !== JSON.stringify(tls)) {
        const first = group.servers[0];
        ctx.warnings.at(
          gateway,
          path,
          `port ${server.port.number} is already served by ${describe(first.gateway)} ${first.path} with ${group.tls ? 'another certificate' : 'plain HTTP'}; a listener has one TLS setting (no SNI yet), so this server is skipped`,
        );
        return;
      }
      group.servers.push({ gateway, gatewayName: `${gateway.metadata.namespace}/${gateway.metadata.name}`, server, path });
    });
  }
  return [...groups.values()].sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
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
