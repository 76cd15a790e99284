// Which DestinationRule applies to a service for this proxy, as Istio looks it up:
//   1. rules the proxy can see (exportTo) and, with a workloadSelector, only in the proxy's own
//      namespace and selecting it;
//   2. the proxy's namespace first, then the service's, then the root namespace, then others
//      (a client can override the service owner's rule; the root namespace holds mesh defaults);
//   3. within that, a rule selecting the workload before one that does not, then the most
//      specific host (a name before `*.ns.svc.cluster.local` before `*`);
//   4. rules tied on all of that (same namespace, same host) are merged as Istio merges them:
//      subsets are pooled (first definition of a name wins), trafficPolicy comes from the oldest
//      rule that has one. What a merge drops is reported.
import type { DestinationRule, TrafficPolicy } from '../../api/destination-rule.js';
import type { CatalogService } from './catalog.js';
import { hostCovers, hostSpecificity, isWildcard, resolveHost } from './hosts.js';
import { compareKeys } from './order.js';
import type { Aged } from './resources.js';
import type { ProxyNode } from './types.js';
import { isVisible, selects } from './visibility.js';
import { describe, type Warnings } from './warnings.js';

export type Subset = NonNullable<DestinationRule['spec']['subsets']>[number];

/** Where a traffic policy was written, for warnings about its fields. */
export interface PolicySource {
  readonly policy: TrafficPolicy;
  readonly rule: DestinationRule;
  /** `spec.trafficPolicy` or `spec.subsets[2].trafficPolicy`. */
  readonly path: string;
}

export interface EffectiveRule {
  readonly trafficPolicy: PolicySource | undefined;
  readonly subsets: ReadonlyMap<string, { readonly subset: Subset; readonly source: PolicySource | undefined }>;
}

interface Candidate {
  readonly rule: DestinationRule;
  readonly age: number;
  readonly host: string;
}

export class DestinationRules {
  /** Non-wildcard rules by resolved host; wildcard rules apart (few, and checked against every service). */
  private readonly exact = new Map<string, Candidate[]>();
  private readonly wildcards: Candidate[] = [];
  private readonly cache = new Map<string, EffectiveRule | undefined>();

  constructor(
    rules: readonly Aged<DestinationRule>[],
    private readonly proxy: ProxyNode,
    private readonly rootNamespace: string,
    private readonly warnings: Warnings,
  ) {
    const candidates = rules
      .filter(({ resource: r }) => {
        if (!isVisible(r.spec.exportTo, r.metadata.namespace, proxy.namespace)) return false;
        const selector = r.spec.workloadSelector;
        return selector === undefined || (r.metadata.namespace === proxy.namespace && selects(selector.matchLabels, proxy.labels));
      })
      .map(({ resource, age }) => ({ rule: resource, age, host: resolveHost(resource.spec.host, resource.metadata.namespace) }));
    for (const c of candidates) {
      if (isWildcard(c.host)) this.wildcards.push(c);
      else this.exact.set(c.host, [...(this.exact.get(c.host) ?? []), c]);
    }
  }

  forService(service: CatalogService): EffectiveRule | undefined {
    if (this.cache.has(service.fqdn)) return this.cache.get(service.fqdn);
    const effective = this.lookup(service);
    this.cache.set(service.fqdn, effective);
    return effective;
  }

  private lookup(service: CatalogService): EffectiveRule | undefined {
    const matching = [...service.hostnames.flatMap((h) => this.exact.get(h) ?? []), ...this.wildcards.filter((c) => hostCovers(c.host, service.fqdn))];
    if (matching.length === 0) return undefined;
    const key = (c: Candidate) => [
      this.namespaceTier(c.rule.metadata.namespace, service.namespace),
      c.rule.spec.workloadSelector ? 0 : 1,
      -hostSpecificity(c.host),
      c.age,
    ];
    matching.sort((a, b) => compareKeys(key(a), key(b)));
    const best = key(matching[0]);
    // Same namespace tier, selector-ness and host: merged. Age (the last key) may differ.
    const group = matching.filter((c) => compareKeys(key(c).slice(0, 3), best.slice(0, 3)) === 0 && c.host === matching[0].host);
    return this.merge(group);
  }

  private namespaceTier(ruleNs: string, serviceNs: string): number {
    if (ruleNs === this.proxy.namespace) return 0;
    if (ruleNs === serviceNs) return 1;
    if (ruleNs === this.rootNamespace) return 2;
    return 3;
  }

  private merge(group: readonly Candidate[]): EffectiveRule {
    let trafficPolicy: PolicySource | undefined;
    const subsets = new Map<string, { subset: Subset; source: PolicySource | undefined; rule: DestinationRule }>();
    for (const { rule } of group) {
      const tp = rule.spec.trafficPolicy;
      if (tp !== undefined) {
        if (trafficPolicy === undefined) trafficPolicy = { policy: tp, rule, path: 'spec.trafficPolicy' };
        else this.warnings.at(rule, 'spec.trafficPolicy', `ignored: ${describe(trafficPolicy.rule)} (older) already sets the traffic policy for host ${rule.spec.host}`);
      }
      (rule.spec.subsets ?? []).forEach((subset, i) => {
        const taken = subsets.get(subset.name);
        if (taken !== undefined) {
          this.warnings.at(rule, `spec.subsets[${i}]`, `ignored: subset "${subset.name}" is already defined by ${describe(taken.rule)} (older)`);
          return;
        }
        const source = subset.trafficPolicy ? { policy: subset.trafficPolicy, rule, path: `spec.subsets[${i}].trafficPolicy` } : undefined;
        subsets.set(subset.name, { subset, source, rule });
      });
    }
    return { trafficPolicy, subsets };
  }
}
