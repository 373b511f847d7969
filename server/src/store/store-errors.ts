// The two failures a caller of the store is expected to handle: both mean "nothing was
// committed, try again later", and HTTP answers both with 503 + Retry-After.

/** Thrown by writeMetrics when the pending queue is full; HTTP maps it to 503 + Retry-After. */
export class StoreSaturatedError extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('storage write queue is full; retry later');
    this.name = 'StoreSaturatedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Thrown when the database cannot be reached or is restarting (a networked backend only);
 * HTTP maps it to 503 + Retry-After. Nothing of the failed call was committed.
 */
export class StoreUnavailableError extends Error {
  readonly retryAfterSeconds: number;
  constructor(cause: unknown, retryAfterSeconds = 2) {
    super(`database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StoreUnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
    this.cause = cause;
  }
}
