// translate's contract: what it reads and what it returns.
import type { Resource } from '../../api/kinds.js';
import type { Snapshot } from '../../model/snapshot.js';
import type { RegistrySnapshot } from '../registry/types.js';

/** A workload's sidecar: one outbound listener for its app, one inbound listener in front of it. */
export interface SidecarNode {
  readonly kind: 'sidecar';
  /** The Workload.id in the registry (local mode: the proxy's node id). */
  readonly workloadId: string;
  readonly namespace: string;
  /** The workload's labels: VirtualService sourceLabels and DestinationRule workloadSelector read them. */
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: { readonly outbound: number; readonly inbound: number };
}

/** A gateway at the mesh edge: Istio Gateways whose selector matches its labels configure it. */
export interface GatewayNode {
  readonly kind: 'gateway';
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Where servers without `bind` listen; default 0.0.0.0 (local mode chooses 127.0.0.1). */
  readonly address?: string;
  /**
   * Gateway port → the port the proxy listens on, as Istio maps a Gateway's port through the
   * gateway Service (port → targetPort); ports not listed are listened on as written.
   */
  readonly targetPorts?: Readonly<Record<number, number>>;
}

export type ProxyNode = SidecarNode | GatewayNode;

export interface MeshSettings {
  /** SPIFFE trust domain: the identities clusters expect of meshed destinations. */
  readonly trustDomain: string;
  /** Mesh-wide configuration lives here (istio-system by default): e.g. fallback DestinationRules. */
  readonly rootNamespace: string;
}

/**
 * A TLS certificate a Gateway names by credentialName: files or PEM text, with the CA bundle
 * that verifies client certificates when a MUTUAL server uses it (Istio's ca.crt).
 */
export type GatewayCredential =
  | { readonly certFile: string; readonly keyFile: string; readonly caCertFile?: string }
  | { readonly certificatePem: string; readonly privateKeyPem: string; readonly caCertificatesPem?: string };

export interface TranslateInput {
  /**
   * Validated resources, oldest first: where two resources conflict, the earlier one is taken as
   * the older (Istio orders by creation time; the store lists resources in the order applied).
   */
  readonly resources: readonly Resource[];
  readonly registry: RegistrySnapshot;
  readonly mesh: MeshSettings;
  readonly proxy: ProxyNode;
  /**
   * Certificates for Gateway `credentialName`, keyed `namespace/name` (the gateway proxy's
   * namespace, as Istio looks secrets up) or just `name`.
   */
  readonly credentials?: Readonly<Record<string, GatewayCredential>>;
}

export interface TranslateResult {
  readonly snapshot: Snapshot;
  /**
   * Configuration that validated but could not be applied as written (a conflict, a feature the
   * proxy lacks, a reference to nothing), each saying what was done instead. Stable order.
   */
  readonly warnings: readonly string[];
}
