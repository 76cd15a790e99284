// A refusal from the control plane, with the stable code it sent (see protocol.ts ErrorBody).
export class ControlPlaneError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Which call refused: the certificate request or the discovery stream. */
    readonly call: 'sign' | 'stream',
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ControlPlaneError && err.code === 'MAILLE_ERR_UNAUTHENTICATED';
}
