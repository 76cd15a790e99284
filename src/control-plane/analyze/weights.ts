// Routes whose destinations' weights add up to 0: no share of traffic is defined. Istio routes
// treat a missing weight as 0 (a lone destination takes everything whatever its weight); Gateway
// API backends default to 1, and a rule whose backends all weigh 0 answers 500.
import type { FieldPath } from '../../api/problems.js';
import { findingAt } from './finding.js';
import type { Finding, Located } from './types.js';

export function weightFindings(resources: readonly Located[]): Finding[] {
  const out: Finding[] = [];
  for (const loc of resources) {
    const r = loc.resource;
    const zero = (path: FieldPath, message: string) => out.push(findingAt(loc, path, 'error', message));
    if (r.kind === 'VirtualService') {
      for (const kind of ['http', 'tcp', 'tls'] as const) {
        r.spec[kind]?.forEach((rule, i) => {
          const route = rule.route ?? [];
          if (route.length > 1 && route.every((d) => (d.weight ?? 0) === 0)) {
            zero(['spec', kind, i, 'route'], 'no destination has a weight above 0 (a missing weight counts as 0), so no share is defined and maille splits evenly; give each destination its weight');
          }
        });
      }
    } else if (r.kind === 'HTTPRoute' || r.kind === 'GRPCRoute') {
      r.spec.rules?.forEach((rule, i) => {
        const refs = rule.backendRefs ?? [];
        if (refs.length > 0 && refs.every((b) => (b.weight ?? 1) === 0)) {
          zero(['spec', 'rules', i, 'backendRefs'], 'every backend has weight 0, so requests matching this rule get 500; give at least one backend a weight above 0');
        }
      });
    }
  }
  return out;
}
