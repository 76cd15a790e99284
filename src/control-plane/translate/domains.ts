// The domains of one route table: each may be claimed once (the proxy rejects a table where two
// virtual hosts share a domain, since routing would depend on their order).
import type { Warnings } from './warnings.js';

export class DomainClaims {
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly table: string,
    private readonly warnings: Warnings,
  ) {}

  /** The domains `vhost` may have; the ones already taken are dropped with a warning. */
  claim(vhost: string, domains: readonly string[]): string[] {
    return domains.filter((d) => {
      const key = d.toLowerCase().replace(/\.$/, '');
      const owner = this.owners.get(key);
      if (owner === undefined) {
        this.owners.set(key, vhost);
        return true;
      }
      if (owner !== vhost) this.warnings.add(`route table ${this.table}: domain ${d} of ${vhost} is already served by ${owner}; dropped`);
      return false;
    });
  }
}
