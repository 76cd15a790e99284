// The trust bundle: the set of root certificates a workload accepts peers from.
// Normally one root. During a root rotation the old root stays trusted until its overlap ends, so
// certificates issued before the switch keep verifying while workloads renew onto the new root.
import { x509, toPemBundle } from './x509.js';

export interface TrustedRoot {
  cert: x509.X509Certificate;
  /** When trust in this root ends; undefined for the active root (trusted while it is valid). */
  trustedUntil?: Date;
}

export class TrustBundle {
  constructor(readonly roots: readonly TrustedRoot[]) {}

  /** The roots trusted at `now`: within their overlap, and not expired themselves. */
  trusted(now: Date = new Date()): x509.X509Certificate[] {
    return this.roots
      .filter((r) => (r.trustedUntil === undefined || r.trustedUntil > now) && r.cert.notAfter > now)
      .map((r) => r.cert);
  }

  /** The bundle as workloads receive it: the trusted roots' PEMs, concatenated (node:tls `ca`). */
  toPem(now: Date = new Date()): string {
    return toPemBundle(this.trusted(now));
  }

  /**
   * When the bundle next changes by itself (an overlap or a root's validity ending), so the control
   * plane can push the shrunk bundle to proxies at that moment; undefined when nothing is pending.
   */
  nextChange(now: Date = new Date()): Date | undefined {
    let next: Date | undefined;
    for (const r of this.roots) {
      for (const t of [r.trustedUntil, r.cert.notAfter]) {
        if (t !== undefined && t > now && (next === undefined || t < next)) next = t;
      }
    }
    return next;
  }

  /** The same bundle without roots that are no longer trusted (they never come back). */
  prune(now: Date = new Date()): TrustBundle {
    const trusted = new Set(this.trusted(now));
    return new TrustBundle(this.roots.filter((r) => trusted.has(r.cert)));
  }
}

/** How retired roots are written in the state directory (ca/retired-roots.json). */
export interface RetiredRootsJson {
  retiredRoots: { certificate: string; trustedUntil: string }[];
}

export function retiredRootsToJson(roots: readonly TrustedRoot[]): RetiredRootsJson {
  return {
    retiredRoots: roots
      .filter((r): r is Required<TrustedRoot> => r.trustedUntil !== undefined)
      .map((r) => ({ certificate: r.cert.toString('pem'), trustedUntil: r.trustedUntil.toISOString() })),
  };
}

/** Parse ca/retired-roots.json; errors name the file and the field. */
export function retiredRootsFromJson(json: unknown, file: string): TrustedRoot[] {
  const list = (json as Partial<RetiredRootsJson> | null)?.retiredRoots;
  if (!Array.isArray(list)) throw new Error(`${file}: retiredRoots: must be a list`);
  return list.map((entry: unknown, i) => {
    const { certificate, trustedUntil } = (entry ?? {}) as Record<string, unknown>;
    if (typeof certificate !== 'string') throw new Error(`${file}: retiredRoots[${i}].certificate: must be a PEM string`);
    const until = typeof trustedUntil === 'string' ? new Date(trustedUntil) : undefined;
    if (until === undefined || Number.isNaN(until.getTime())) {
      throw new Error(`${file}: retiredRoots[${i}].trustedUntil: must be an ISO 8601 date`);
    }
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(certificate);
    } catch (err) {
      throw new Error(`${file}: retiredRoots[${i}].certificate: cannot parse: ${(err as Error).message}`, { cause: err });
    }
    return { cert, trustedUntil: until };
  });
}
