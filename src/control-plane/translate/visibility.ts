// Who sees a resource: Istio's exportTo, label selectors and gateway bindings.

/**
 * How a resource with `exportTo` in `resourceNs` is visible from `proxyNs`, or undefined when it
 * is not. Istio consults resources in this order: private to the namespace ("."), exported to it
 * by name, then public ("*", the default). A lower rank wins a conflict.
 */
export function exportRank(exportTo: readonly string[] | undefined, resourceNs: string, proxyNs: string): 0 | 1 | 2 | undefined {
  const list = exportTo === undefined || exportTo.length === 0 ? ['*'] : exportTo;
  if (resourceNs === proxyNs && list.includes('.')) return 0;
  if (list.includes(proxyNs)) return 1;
  if (list.includes('*')) return 2;
  return undefined; // "~" (nobody), or other namespaces only
}

export function isVisible(exportTo: readonly string[] | undefined, resourceNs: string, proxyNs: string): boolean {
  return exportRank(exportTo, resourceNs, proxyNs) !== undefined;
}

/** A label selector: every label it names, with that value. An empty or absent selector selects all. */
export function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Gateway names of a VirtualService, as `namespace/name` or `mesh`; default `mesh` (sidecars). */
export function boundGateways(gateways: readonly string[] | undefined, vsNamespace: string): string[] {
  if (gateways === undefined || gateways.length === 0) return ['mesh'];
  return gateways.map((g) => qualifyGateway(g, vsNamespace));
}

/** `mesh` stays `mesh`; `name` means the gateway in the VirtualService's namespace. */
export function qualifyGateway(name: string, namespace: string): string {
  return name === 'mesh' || name.includes('/') ? name : `${namespace}/${name}`;
}
