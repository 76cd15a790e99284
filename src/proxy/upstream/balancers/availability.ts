// The availability check as balancers run it on the request path: the clock is read at most once
// per pick, and only when some candidate actually carries an ejection time (the common case reads
// no clock at all). That matters beyond the call's cost: Date.now() returns a heap-allocated
// number in V8, so a pick that needs the time allocates 16 bytes; picks while no ejection is in
// force allocate nothing.
import type { Clock, EndpointState } from '../types.js';

export class Availability {
  private now = -1;

  constructor(private readonly clock: Clock) {}

  /** Call at the start of each pick: forgets the time read by the previous pick. */
  begin(): void {
    this.now = -1;
  }

  ok(e: EndpointState): boolean {
    if (!e.healthy) return false;
    if (e.ejectedUntil === 0) return true;
    if (this.now < 0) this.now = this.clock();
    return e.ejectedUntil <= this.now;
  }
}
