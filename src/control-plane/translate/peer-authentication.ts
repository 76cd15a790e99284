// PeerAuthentication → the mTLS mode a workload's sidecar accepts, with Istio's precedence (as in
// its ComposePeerAuthentication):
//   1. port: the workload policy's portLevelMtls for the port its app listens on (the one port
//      the inbound listener serves);
//   2. workload: a policy in the workload's namespace whose selector matches its labels;
//   3. namespace-wide: a policy without selector (or with empty matchLabels) in its namespace;
//   4. mesh-wide: a policy without selector in the root namespace;
//   5. PERMISSIVE, Istio's default, so plaintext clients keep working while a mesh is adopted.
// The narrowest level that sets a mode wins; UNSET (or no mtls at all) inherits from the level
// above. A policy with a selector in the root namespace applies to no workload, as in Istio (mesh
// policies are the selector-less ones there). Several policies at one level: the oldest applies,
// the others are reported.
import type { MtlsMode, PeerAuthentication } from '../../api/peer-authentication.js';
import type { Workload } from '../registry/types.js';
import type { Aged } from './resources.js';
import { selects } from './visibility.js';
import { describe, type Warnings } from './warnings.js';

export type PeerMode = Exclude<MtlsMode, 'UNSET'>;

export type PeerWorkload = Pick<Workload, 'id' | 'namespace' | 'labels' | 'appPort'>;

interface NamespacePolicies {
  /** Without selector, oldest first. */
  readonly wide: PeerAuthentication[];
  /** With a selector, oldest first. */
  readonly selecting: PeerAuthentication[];
}

export class PeerAuthentications {
  private readonly mesh: PeerAuthentication[] = [];
  private readonly namespaces = new Map<string, NamespacePolicies>();

  constructor(policies: readonly Aged<PeerAuthentication>[], rootNamespace: string) {
    // The index lists resources oldest first, so every list here is in age order too.
    for (const { resource: pa } of policies) {
      const ns = pa.metadata.namespace;
      const wide = Object.keys(pa.spec.selector?.matchLabels ?? {}).length === 0;
      if (ns === rootNamespace) {
        if (wide) this.mesh.push(pa);
        continue;
      }
      let list = this.namespaces.get(ns);
      if (list === undefined) this.namespaces.set(ns, (list = { wide: [], selecting: [] }));
      (wide ? list.wide : list.selecting).push(pa);
    }
  }

  /**
   * The mode the workload's inbound listener enforces.
   * @param warnings where conflicts are reported. The workload's own sidecar passes them; a client
   *   deciding whether to send mTLS does not, so a conflict is reported by the proxy it concerns.
   */
  modeFor(workload: PeerWorkload, warnings?: Warnings): PeerMode {
    const ns = this.namespaces.get(workload.namespace);
    const mesh = oldest(this.mesh, 'the mesh-wide mode', warnings);
    const namespace = oldest(ns?.wide ?? [], `the namespace-wide mode of ${workload.namespace}`, warnings);
    const selecting = (ns?.selecting ?? []).filter((pa) => selects(pa.spec.selector?.matchLabels, workload.labels));
    const own = oldest(selecting, `the mode of workload ${workload.id}`, warnings);

    let mode: PeerMode = 'PERMISSIVE';
    for (const pa of [mesh, namespace, own]) mode = narrower(mode, pa?.spec.mtls?.mode);
    // Port keys are the workload's ports (Istio: the container port), so the app port, not the
    // service port callers use. Integer-like keys iterate in numeric order: warnings are stable.
    let portMode = mode;
    for (const [port, setting] of Object.entries(own?.spec.portLevelMtls ?? {})) {
      if (Number(port) === workload.appPort) portMode = narrower(mode, setting.mode);
      else if (own !== undefined) warnings?.at(own, `spec.portLevelMtls.${port}`, `workload ${workload.id} serves port ${workload.appPort} only (where its app listens); this setting does not apply to it`);
    }
    return portMode;
  }
}

/** The inherited mode, unless the narrower level sets one. */
function narrower(inherited: PeerMode, mode: MtlsMode | undefined): PeerMode {
  return mode === undefined || mode === 'UNSET' ? inherited : mode;
}

function oldest(policies: readonly PeerAuthentication[], what: string, warnings: Warnings | undefined): PeerAuthentication | undefined {
  const [first, ...rest] = policies;
  for (const pa of rest) warnings?.at(pa, 'spec', `ignored: ${describe(first)} (older) already sets ${what}`);
  return first;
}
