// Outlier detection: passive health checking from real traffic, as Envoy implements it and Istio's
// DestinationRule.trafficPolicy.outlierDetection configures it.
//
// - Every try reports its outcome (onResult). A 5xx counts toward consecutive5xx; a 502/503/504
//   toward consecutiveGatewayErrors as well. Connection failures, resets and refused streams count
//   as a 503 and timeouts as a 504, so they feed both counters (Envoy's mapping when local-origin
//   errors are not split out, its default). gRPC outcomes are mapped from grpc-status
//   (outcome.ts). Any other status resets both counters; a 500 resets the gateway counter only.
// - Reaching a threshold ejects the host: ejectedUntil = now + min(base × multiplier,
//   maxEjectionTime), where the multiplier (EndpointState.ejections) goes up by one per ejection.
//   A host that keeps failing is thus out for longer and longer, up to max(300 s, base) (Envoy's
//   default max_ejection_time). The counter that fired is reset, so the next ejection needs a new
//   run of errors.
// - maxEjectionPercent caps how many hosts are out at once, by Envoy's current rule (since
//   v1.27): a host is ejected only if (ejected now + 1) / all hosts ≤ maxEjectionPercent.
//   Older Envoys always allowed one ejection whatever the percentage; today that needs Envoy's
//   always_eject_one_host, off by default (alwaysEjectOneHost here, also off). Consequence worth
//   knowing: with Istio's default 10 % a cluster of fewer than 10 hosts never ejects; set
//   maxEjectionPercent (e.g. 50 or 100) for small clusters. A refused ejection is counted as an
//   overflow.
// - An ejected host comes back by itself when ejectedUntil passes (balancers compare it with the
//   clock). The interval sweep does the bookkeeping: marks it readmitted, resets its counters
//   (so a couple of stray errors right after readmission do not re-eject it), and, for hosts that
//   have stayed in service for a whole interval since their readmission, lowers the multiplier by
//   one per interval (Envoy's backoff decay), so a host that recovered for good is eventually
//   treated like a first offender again.
//
// The detector lives across snapshot swaps (update()), so counters, multipliers and ejections
// survive a new snapshot; the EndpointState objects themselves are carried over by
// cluster-runtime.ts.
import type { OutlierDetection } from '../../model/snapshot.js';
import { isGatewayErrorStatus, outcomeHttpStatus } from './outcome.js';
import type { Clock, EndpointState, TryOutcome } from './types.js';

/** Istio's defaults (DestinationRule OutlierDetection), which are also Envoy's. */
export const OUTLIER_DEFAULTS = {
  consecutive5xx: 5,
  /** Istio: gateway-error ejection is off unless configured. */
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  /** Envoy's max_ejection_time default; the cap is max(this, baseEjectionTimeMs). */
  maxEjectionTimeMs: 300_000,
} as const;

export interface OutlierSettings {
  consecutive5xx: number;
  consecutiveGatewayErrors: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionTimeMs: number;
  maxEjectionPercent: number;
  alwaysEjectOneHost: boolean;
}

/**
 * Settings with defaults filled in. Envoy rejects a zero interval or base ejection time; the
 * snapshot schema allows 0, so 0 means "the default" here rather than a timer that spins.
 */
export function outlierSettings(cfg: OutlierDetection, alwaysEjectOneHost = false): OutlierSettings {
  const base = cfg.baseEjectionTimeMs || OUTLIER_DEFAULTS.baseEjectionTimeMs;
  return {
    consecutive5xx: cfg.consecutive5xx ?? OUTLIER_DEFAULTS.consecutive5xx,
    consecutiveGatewayErrors: cfg.consecutiveGatewayErrors ?? OUTLIER_DEFAULTS.consecutiveGatewayErrors,
    intervalMs: cfg.intervalMs || OUTLIER_DEFAULTS.intervalMs,
    baseEjectionTimeMs: base,
    maxEjectionTimeMs: Math.max(OUTLIER_DEFAULTS.maxEjectionTimeMs, base),
    maxEjectionPercent: Math.min(100, cfg.maxEjectionPercent ?? OUTLIER_DEFAULTS.maxEjectionPercent),
    alwaysEjectOneHost,
  };
}

export type EjectionReason = 'consecutive-5xx' | 'consecutive-gateway-errors';

/** Counters for metrics (named after Envoy's outlier_detection.* stats). */
export interface OutlierStats {
  /** Ejections carried out (ejections_enforced_total). */
  ejections: number;
  ejectionsConsecutive5xx: number;
  ejectionsConsecutiveGatewayErrors: number;
  /** Ejections refused because of maxEjectionPercent (ejections_overflow). */
  ejectionsOverflow: number;
  /** Hosts readmitted. */
  unejections: number;
}

export interface OutlierEvent {
  action: 'eject' | 'overflow' | 'uneject';
  host: EndpointState;
  reason?: EjectionReason;
  /** For 'eject': how long the host is out. */
  durationMs?: number;
}

export interface OutlierDetectorOptions {
  /** Default Date.now. */
  clock?: Clock;
  /** Run the interval sweep on a timer (unref'd). Default true; tests call sweep() instead. */
  timer?: boolean;
  /** Envoy's always_eject_one_host: allow one ejection whatever maxEjectionPercent says. */
  alwaysEjectOneHost?: boolean;
  /** Told about every ejection, refused ejection and readmission (for logs). */
  onEvent?: (event: OutlierEvent) => void;
}

/** What the detector tracks per host beside the EndpointState. */
interface Monitor {
  consecutive5xx: number;
  consecutiveGateway: number;
  /** Ejected and not yet readmitted by the bookkeeping. */
  ejected: boolean;
  /** When it was last readmitted; -1 = never ejected. */
  lastUnejection: number;
  /** Ejections ever (the multiplier decays; this does not). */
  total: number;
}

export class OutlierDetector {
  readonly stats: OutlierStats = {
    ejections: 0,
    ejectionsConsecutive5xx: 0,
    ejectionsConsecutiveGatewayErrors: 0,
    ejectionsOverflow: 0,
    unejections: 0,
  };
  private cfg: OutlierSettings | undefined;
  private hosts: readonly EndpointState[] = [];
  private readonly monitors = new Map<EndpointState, Monitor>();
  private readonly clock: Clock;
  private readonly useTimer: boolean;
  private readonly alwaysEjectOneHost: boolean;
  private readonly onEvent: ((event: OutlierEvent) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerInterval = 0;
  private disposed = false;

  /** `config` undefined: detection off (Envoy and Istio only detect when it is configured). */
  constructor(config: OutlierDetection | undefined, hosts: readonly EndpointState[], options: OutlierDetectorOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.useTimer = options.timer ?? true;
    this.alwaysEjectOneHost = options.alwaysEjectOneHost ?? false;
    this.onEvent = options.onEvent;
    this.update(config, hosts);
  }

  get enabled(): boolean {
    return this.cfg !== undefined;
  }

  /** The effective settings (defaults filled in), or undefined when detection is off. */
  get settings(): Readonly<OutlierSettings> | undefined {
    return this.cfg;
  }

  /**
   * A new snapshot: new settings and host list. Hosts still present keep their counters and
   * ejections; new hosts start clean; removed hosts are forgotten. Turning detection off
   * readmits every ejected host at once.
   */
  update(config: OutlierDetection | undefined, hosts: readonly EndpointState[]): void {
    const wasEnabled = this.cfg !== undefined;
    this.cfg = config === undefined ? undefined : outlierSettings(config, this.alwaysEjectOneHost);
    this.hosts = hosts.slice();
    const keep = new Set(hosts);
    for (const h of this.monitors.keys()) if (!keep.has(h)) this.monitors.delete(h);
    for (const h of hosts) {
      if (!this.monitors.has(h)) {
        this.monitors.set(h, {
          consecutive5xx: 0,
          consecutiveGateway: 0,
          ejected: h.ejectedUntil !== 0,
          lastUnejection: -1,
          total: 0,
        });
      }
    }
    if (!this.cfg && wasEnabled) {
      for (const h of hosts) h.ejectedUntil = 0;
      for (const m of this.monitors.values()) m.ejected = false;
    }
    this.armTimer();
  }

  /** Reports how one try to `host` ended. Cheap: a map lookup and two counters. */
  onResult(host: EndpointState, outcome: TryOutcome): void {
    const cfg = this.cfg;
    if (cfg === undefined) return;
    const m = this.monitors.get(host);
    if (m === undefined) return; // a host removed by a newer snapshot, or another cluster's
    if (m.ejected && host.ejectedUntil <= this.clock()) this.readmit(host, m, this.clock());
    const status = outcomeHttpStatus(outcome);
    if (status >= 500 && status <= 599) {
      if (isGatewayErrorStatus(status)) {
        m.consecutiveGateway++;
        if (cfg.consecutiveGatewayErrors > 0 && m.consecutiveGateway >= cfg.consecutiveGatewayErrors) {
          this.onConsecutive(host, m, 'consecutive-gateway-errors');
        }
      } else {
        m.consecutiveGateway = 0;
      }
      m.consecutive5xx++;
      if (cfg.consecutive5xx > 0 && m.consecutive5xx >= cfg.consecutive5xx) {
        this.onConsecutive(host, m, 'consecutive-5xx');
      }
    } else {
      m.consecutive5xx = 0;
      m.consecutiveGateway = 0;
    }
  }

  /**
   * The interval sweep (the timer runs it; tests call it): readmits hosts whose ejection time has
   * passed and decays the multiplier of hosts in service for at least one interval.
   */
  sweep(): void {
    const cfg = this.cfg;
    if (cfg === undefined) return;
    const now = this.clock();
    for (const h of this.hosts) {
      const m = this.monitors.get(h);
      if (m !== undefined && m.ejected && h.ejectedUntil <= now) this.readmit(h, m, now);
    }
    for (const h of this.hosts) {
      const m = this.monitors.get(h);
      if (m === undefined || m.ejected || m.lastUnejection < 0) continue;
      if (now - m.lastUnejection >= cfg.intervalMs && h.ejections > 0) h.ejections--;
    }
  }

  /** Hosts ejected right now (Envoy's ejections_active gauge). */
  activeEjections(): number {
    const now = this.clock();
    let n = 0;
    for (const h of this.hosts) if (h.ejectedUntil > now) n++;
    return n;
  }

  /** How many times `host` was ejected since it joined the cluster (for /clusters). */
  totalEjections(host: EndpointState): number {
    return this.monitors.get(host)?.total ?? 0;
  }

  /** Stops the timer. Results reported afterwards are still counted, but nothing sweeps. */
  dispose(): void {
    this.disposed = true;
    this.stopTimer();
  }

  private onConsecutive(host: EndpointState, m: Monitor, reason: EjectionReason): void {
    const now = this.clock();
    // An ejected host's errors (requests that were already in flight) do not eject it again;
    // its counters are reset when it is readmitted.
    if (host.ejectedUntil > now) return;
    this.eject(host, m, reason, now);
    if (reason === 'consecutive-5xx') m.consecutive5xx = 0;
    else m.consecutiveGateway = 0;
  }

  private eject(host: EndpointState, m: Monitor, reason: EjectionReason, now: number): void {
    const cfg = this.cfg as OutlierSettings;
    const active = this.activeEjections();
    const percentAfter = (100 * (active + 1)) / this.hosts.length;
    const allowed = percentAfter <= cfg.maxEjectionPercent || (cfg.alwaysEjectOneHost && active === 0);
    if (!allowed) {
      this.stats.ejectionsOverflow++;
      this.onEvent?.({ action: 'overflow', host, reason });
      return;
    }
    const base = cfg.baseEjectionTimeMs;
    // Envoy stops growing the multiplier once base × multiplier passes the cap, so a host
    // that recovers does not need dozens of intervals to decay back.
    if (host.ejections * base < cfg.maxEjectionTimeMs + base) host.ejections++;
    const durationMs = Math.min(base * host.ejections, cfg.maxEjectionTimeMs);
    host.ejectedUntil = now + durationMs;
    m.ejected = true;
    m.total++;
    this.stats.ejections++;
    if (reason === 'consecutive-5xx') this.stats.ejectionsConsecutive5xx++;
    else this.stats.ejectionsConsecutiveGatewayErrors++;
    this.onEvent?.({ action: 'eject', host, reason, durationMs });
  }

  private readmit(host: EndpointState, m: Monitor, now: number): void {
    host.ejectedUntil = 0;
    m.ejected = false;
    m.lastUnejection = now;
    m.consecutive5xx = 0;
    m.consecutiveGateway = 0;
    this.stats.unejections++;
    this.onEvent?.({ action: 'uneject', host });
  }

  private armTimer(): void {
    const interval = this.cfg?.intervalMs ?? 0;
    if (!this.useTimer || this.disposed || interval === 0) {
      this.stopTimer();
      return;
    }
    if (this.timer !== undefined && this.timerInterval === interval) return;
    this.stopTimer();
    this.timer = setInterval(() => this.sweep(), interval);
    // The sweep must never keep the process alive (drain and exit would hang on it).
    this.timer.unref();
    this.timerInterval = interval;
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.timerInterval = 0;
  }
}
