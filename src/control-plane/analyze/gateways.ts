// Istio Gateways and what binds to them: a Gateway whose selector picks none of the Mesh's
// gateway proxies (spec.gateways) listens nowhere, and a VirtualService whose `gateways:` names a
// Gateway that the files do not declare is bound to nothing there. Both are almost always a typo
// in a label or a name, and nothing fails loudly at run time: the routes are simply never served.
import type { Gateway } from '../../api/istio-gateway.js';
import type { Mesh } from '../../api/mesh.js';
import type { VirtualService } from '../../api/virtual-service.js';
import { closest } from '../../api/problems.js';
import { localGateways, type LocalGateway } from '../../local/gateways.js';
import { qualifyGateway, selects } from '../translate/visibility.js';
import { findingAt } from './finding.js';
import type { Finding, Located } from './types.js';
import { formatLabels, type World } from './world.js';

/**
 * @param gatewaysKnown false when a Gateway (or an unreadable document) failed validation: it may
 *   be the one a VirtualService names, so unknown names are not reported until it is fixed.
 */
export function gatewayFindings(world: World, resources: readonly Located[], gatewaysKnown: boolean): Finding[] {
  if (!world.known) return [];
  const meshes = resources.filter((l): l is Located<Mesh> => l.resource.kind === 'Mesh');
  const proxies = meshes.flatMap((m) => localGateways(m.resource));
  const gateways = resources.filter((l): l is Located<Gateway> => l.resource.kind === 'Gateway');
  const out: Finding[] = gateways.flatMap((g) => unselected(g, proxies));
  if (!gatewaysKnown) return out;
  const declared = new Set(gateways.map(({ resource: g }) => `${g.metadata.namespace}/${g.metadata.name}`));
  for (const loc of resources) {
    if (loc.resource.kind === 'VirtualService') out.push(...unknownGateways(loc as Located<VirtualService>, declared));
  }
  return out;
}

function unselected(loc: Located<Gateway>, proxies: readonly LocalGateway[]): Finding[] {
  const selector = loc.resource.spec.selector;
  if (proxies.some((p) => selects(selector, p.labels))) return [];
  const wanted = selector === undefined || Object.keys(selector).length === 0 ? 'any labels' : formatLabels(selector);
  const have =
    proxies.length === 0
      ? 'the Mesh declares no gateway in spec.gateways'
      : `the Mesh's gateways carry ${proxies.map((p) => `${formatLabels(p.labels)} (${p.path} ${p.name})`).join('; ')}`;
  const message = `no gateway of the Mesh carries ${wanted} (${have}), so this Gateway listens nowhere; fix the selector, or add a gateway with these labels to the Mesh's spec.gateways`;
  return [findingAt(loc, ['spec', 'selector'], 'warning', message)];
}

function unknownGateways(loc: Located<VirtualService>, declared: ReadonlySet<string>): Finding[] {
  const vs = loc.resource;
  const out: Finding[] = [];
  vs.spec.gateways?.forEach((written, i) => {
    const name = qualifyGateway(written, vs.metadata.namespace);
    if (name === 'mesh' || declared.has(name)) return;
    // The usual slip: the Gateway lives in another namespace (istio-system) and the name is bare.
    const bare = name.slice(name.indexOf('/') + 1);
    const close = [...declared].find((d) => d.endsWith(`/${bare}`)) ?? closest(name, [...declared]);
    const fix = close !== undefined ? `did you mean ${close}?` : 'fix the name (a bare name means the VirtualService\'s namespace; write "namespace/name" for another), or declare the Gateway';
    out.push(findingAt(loc, ['spec', 'gateways', i], 'error', `no Gateway ${name} among the files analyzed, so no gateway serves these routes; ${fix}`));
  });
  return out;
}
