// Refusals with a stable code; the server turns them into an HTTP status and an ErrorBody.
import { HTTP_STATUS, type DiscoveryErrorCode } from './protocol.js';

export class DiscoveryError extends Error {
  constructor(
    readonly code: DiscoveryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DiscoveryError';
  }

  get status(): number {
    return HTTP_STATUS[this.code] ?? 400;
  }
}

export const unauthenticated = (message: string): DiscoveryError => new DiscoveryError('MAILLE_ERR_UNAUTHENTICATED', message);
export const permissionDenied = (message: string): DiscoveryError => new DiscoveryError('MAILLE_ERR_PERMISSION_DENIED', message);
export const badRequest = (message: string): DiscoveryError => new DiscoveryError('MAILLE_ERR_BAD_REQUEST', message);
