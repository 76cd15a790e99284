// The domains of one route table: each may be claimed once (the proxy rejects a table where two
// virtual hosts share a domain, since routing would depend on their order).
/** Where a dropped domain is reported (translate's Warnings, or a recorder that replays later). */
export interface WarningSink {
  add(line: string): void;
}

export class DomainClaims {
  private readonly owners = new Map<string, string>();

  /**
   * @param base claims made earlier for the same table (read only): a domain it holds is taken.
   *   Lets the sidecar's outbound table reuse its services' claims, which depend on the catalog
   *   and the namespace only, and claim the few alias hosts on top (sidecar-outbound.ts).
   */
  constructor(
    private readonly table: string,
    private readonly warnings: WarningSink,
    private readonly base?: ReadonlyMap<string, string>,
  ) {}

  /**
   * The domains `vhost` may have; the ones already taken are dropped with a warning.
   * @param keys domainKey() of each domain, when the caller keeps them
   */
  claim(vhost: string, domains: readonly string[], keys: readonly string[] = domains.map(domainKey)): string[] {
    return domains.filter((d, i) => {
      const key = keys[i];
      const owner = this.base?.get(key) ?? this.owners.get(key);
      if (owner === undefined) {
        this.owners.set(key, vhost);
        return true;
      }
      if (owner !== vhost) this.warnings.add(`route table ${this.table}: domain ${d} of ${vhost} is already served by ${owner}; dropped`);
      return false;
    });
  }

  /** The claims made so far, domain key → virtual host (with the base's). */
  claimed(): ReadonlyMap<string, string> {
    return this.base === undefined ? this.owners : new Map([...this.base, ...this.owners]);
  }
}

/** Domains compare without case and without a trailing dot. */
export function domainKey(domain: string): string {
  return domain.toLowerCase().replace(/\.$/, '');
}
