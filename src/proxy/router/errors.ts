// A route table that cannot be compiled is a configuration error, not a crash: the caller (the
// snapshot swap) rejects the snapshot and keeps serving the last good one. The error carries the
// field path inside the RouteConfig so the message points at the exact place to fix.
export class RouteConfigError extends Error {
  constructor(
    /** Name of the RouteConfig being compiled. */
    readonly routeConfig: string,
    /** Field path inside it, e.g. `virtualHosts[0].routes[2].match.path.regex`. */
    readonly path: string,
    /** What is wrong and what is allowed. */
    readonly reason: string,
  ) {
    super(`route config "${routeConfig}": ${path}: ${reason}`);
    this.name = 'RouteConfigError';
  }
}

/**
 * Compile-time helpers receive only the field path; they throw this and compile.ts wraps it into a
 * RouteConfigError once it knows the route config's name. Keeps the leaf files free of context.
 */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'FieldError';
  }
}
