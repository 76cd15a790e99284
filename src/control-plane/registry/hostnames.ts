// Host names of a service, as Kubernetes DNS gives them to pods.

/** Kubernetes' default cluster DNS domain (not to be confused with the trust domain). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** `name.ns.svc.<domain>`: the one name that identifies a service mesh-wide. */
export function serviceFqdn(name: string, namespace: string, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

/**
 * Every name a caller may use, shortest first: `reviews`, `reviews.default`,
 * `reviews.default.svc`, `reviews.default.svc.cluster.local`. (The short name only resolves
 * from the service's own namespace; translate decides per proxy whether to offer it.)
 */
export function serviceHostnames(name: string, namespace: string, clusterDomain: string = DEFAULT_CLUSTER_DOMAIN): string[] {
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, serviceFqdn(name, namespace, clusterDomain)];
}
