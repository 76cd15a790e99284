// networking.istio.io Gateway (Istio's, not Gateway API's): the ports, hosts and TLS settings a
// gateway workload (chosen by selector) listens with at the mesh edge. Routes attach to it from
// VirtualServices listing it in `gateways` (`http` routes for terminated servers, `tls` routes by
// SNI for PASSTHROUGH ones).
import { Type, type Static } from '@sinclair/typebox';
import { IstioPortSchema, ISTIO_NETWORKING_VERSIONS } from './istio-common.js';
import { resourceSchema, type Stored } from './meta.js';
import { eachOf, type Problem } from './problems.js';
import { Bool, Enum, Opt, Str, Strict, StringMap, Strings } from './schema.js';

const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const;

const ServerTLSSettingsSchema = Strict({
  httpsRedirect: Opt(Bool('answer plain HTTP with a redirect to HTTPS')),
  mode: Opt(Enum(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'])),
  serverCertificate: Opt(Str('path of the PEM certificate chain')),
  privateKey: Opt(Str('path of the PEM private key')),
  caCertificates: Opt(Str('path of the CA bundle that verifies client certificates (MUTUAL)')),
  caCrl: Opt(Str()),
  credentialName: Opt(Str('a Kubernetes secret holding the certificate and key')),
  credentialNames: Opt(Strings()),
  tlsCertificates: Opt(Type.Array(Strict({ serverCertificate: Opt(Str()), privateKey: Opt(Str()), caCertificates: Opt(Str()) }))),
  subjectAltNames: Opt(Strings()),
  verifyCertificateSpki: Opt(Strings()),
  verifyCertificateHash: Opt(Strings()),
  minProtocolVersion: Opt(Enum(TLS_VERSIONS)),
  maxProtocolVersion: Opt(Enum(TLS_VERSIONS)),
  cipherSuites: Opt(Strings()),
});

const ServerSchema = Strict({
  port: IstioPortSchema,
  bind: Opt(Str('address to listen on')),
  hosts: Type.Array(Type.String(), { minItems: 1, description: 'hosts served, optionally "namespace/host"' }),
  tls: Opt(ServerTLSSettingsSchema),
  defaultEndpoint: Opt(Str()),
  name: Opt(Str()),
});

export const GatewaySpecSchema = Strict({
  selector: Opt(StringMap('labels of the gateway workloads')),
  servers: Type.Array(ServerSchema, { minItems: 1 }),
});

export const GatewaySchema = resourceSchema('Gateway', ISTIO_NETWORKING_VERSIONS, GatewaySpecSchema);
export type Gateway = Stored<Static<typeof GatewaySchema>>;

export function checkGateway(gw: Static<typeof GatewaySchema>): Problem[] {
  return eachOf(gw.spec.servers, ['spec', 'servers'], (s, path) => {
    // As Istio checks: terminating TLS needs a certificate from somewhere (mode defaults to PASSTHROUGH).
    const tls = s.tls;
    if (tls?.mode !== 'SIMPLE' && tls?.mode !== 'MUTUAL' && tls?.mode !== 'OPTIONAL_MUTUAL') return [];
    const fromSecret = tls.credentialName || tls.credentialNames;
    if (!fromSecret && !tls.tlsCertificates && !(tls.serverCertificate && tls.privateKey)) {
      return [{ path: [...path, 'tls'], message: `mode ${tls.mode} needs serverCertificate and privateKey (or credentialName)` }];
    }
    // MUTUAL verifies clients with a CA: the secret's ca.crt, or caCertificates with files.
    if (tls.mode !== 'SIMPLE' && !fromSecret && !tls.tlsCertificates && !tls.caCertificates) {
      return [{ path: [...path, 'tls', 'caCertificates'], message: `is required with mode ${tls.mode} and serverCertificate (the CA that verifies client certificates)` }];
    }
    return [];
  });
}
