// The failures a caller of the store is expected to handle. The first two mean "nothing was
// committed, try again later", and HTTP answers both with 503 + Retry-After; the last one means
// the database named in LENS_DATABASE_URL cannot be opened at all, and the server stops.

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

/** The database cannot be opened (a path that cannot be created, a folder, no permission). */
export class StoreOpenError extends Error {
  constructor(what: string, reason: string) {
    super(`LENS_DATABASE_URL=${what}: ${reason}`);
    this.name = 'StoreOpenError';
  }
}
