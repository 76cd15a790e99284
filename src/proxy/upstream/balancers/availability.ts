// The availability check as balancers run it on the request path: the clock is read at most once
// per pick, and only when some candidate actually carries an ejection time (the common case reads
// no clock at all). That matters beyond the call's cost: Date.now() returns a heap-allocated
// number in V8, so a pick that needs the time allocates 16 bytes; picks while no ejection is in
// force allocate nothing.
//
// It also carries PickContext.avoid: that endpoint is treated as unavailable during the pick, but
// if nothing else is available, fallback() returns it (when it is itself available), so avoiding
// a host never turns a retry into "no healthy upstream".
import type { Clock, EndpointState } from '../types.js';

export class Availability {
  private now = -1;
  private avoid: EndpointState | undefined = undefined;
  private avoidOk = false;

  constructor(private readonly clock: Clock) {}

  /** Call at the start of each pick: forgets the time read by the previous pick. */
  begin(avoid: EndpointState | undefined): void {
    this.now = -1;
    this.avoid = avoid;
    this.avoidOk = false;
  }

  ok(e: EndpointState): boolean {
    if (e === this.avoid) {
      if (!this.avoidOk) this.avoidOk = this.check(e);
      return false;
    }
    return this.check(e);
  }

  /** What a pick that found nothing returns: the avoided endpoint if it was available. */
  fallback(): EndpointState | undefined {
    return this.avoidOk ? this.avoid : undefined;
  }

  private check(e: EndpointState): boolean {
    if (!e.healthy) return false;
    if (e.ejectedUntil === 0) return true;
    if (this.now < 0) this.now = this.clock();
    return e.ejectedUntil <= this.now;
  }
}
