// When the ingest log (ingest-log.ts) is written into the series tables: in transactions of
// APPLY_POINTS points as soon as that much is pending, after APPLY_AFTER_MS otherwise, and all
// of it whenever the store must be current (a read, another write, retention, close, open).
import type { IngestLog, LogEntry } from './ingest-log.js';

// Large enough that a series gets tens of points per transaction (the per-point cost flattens
// out there, test/store/commit-size.ts), small enough that one slice stalls the event loop
// for ~25 ms at most.
export const APPLY_POINTS = 10_000;
/** How long a pending batch waits for more before it is applied anyway (reads never wait). */
export const APPLY_AFTER_MS = 250;
/** After a failure of the database itself, the next background try. */
const RETRY_AFTER_MS = 1_000;
/** SQLite errors of the database as a whole (disk, I/O, locks): no batch is to blame. */
const TRANSIENT = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|NOMEM|READONLY|CANTOPEN|CORRUPT|NOTADB|INTERRUPT)/;

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT.test(code);
}

export class LogApplier {
  private timer: NodeJS.Timeout | null = null;
  private immediate = false;
  private closed = false;

  /** `apply` writes the entries and removes them from the log in one transaction, or throws. */
  constructor(
    private readonly log: IngestLog,
    private readonly apply: (entries: LogEntry[]) => void,
    private readonly report: (err: unknown) => void,
  ) {}

  /** At open: rows a previous process logged but did not apply, before anything else runs. */
  recover(): void {
    for (const problem of this.log.recover()) this.report(new Error(problem));
    this.settle();
  }

  /** Applies everything pending; throws (leaving it pending) when the database fails. */
  settle(): void {
    while (this.log.hasPending) this.applySlice();
  }

  /** After a log commit. */
  afterCommit(): void {
    if (this.log.pendingPoints >= APPLY_POINTS) {
      if (this.immediate) return;
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        this.inBackground(() => {
          // Down to less than one slice, so the backlog stays bounded however fast batches arrive.
          while (this.log.pendingPoints >= APPLY_POINTS) this.applySlice();
          if (this.log.hasPending) this.afterCommit();
        });
      });
    } else if (this.log.hasPending) {
      this.later(APPLY_AFTER_MS);
    }
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.settle();
    this.closed = true;
  }

  private later(ms: number): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inBackground(() => this.settle());
    }, ms);
    this.timer.unref(); // close() applies what is left
  }

  private inBackground(work: () => void): void {
    if (this.closed) return;
    try {
      work();
    } catch (err) {
      // Still pending: the next read, write or this retry tries again.
      this.report(err);
      this.later(RETRY_AFTER_MS);
    }
  }

  /**
   * Applies the oldest pending batches (up to APPLY_POINTS) in one transaction. If that fails,
   * each is applied alone: one that fails alone for a reason of its own is kept in the log,
   * marked failed, and reported, and the rest go on; a failure of the database itself leaves
   * everything pending and throws.
   */
  private applySlice(): void {
    const slice = this.log.take(APPLY_POINTS);
    try {
      this.apply(slice);
      return;
    } catch (err) {
      if (isTransient(err) || slice.length > 1) {
        if (isTransient(err)) {
          this.log.restore(slice);
          throw err;
        }
      } else {
        this.fail(slice[0] as LogEntry, err);
        return;
      }
    }
    for (let i = 0; i < slice.length; i++) {
      const entry = slice[i] as LogEntry;
      try {
        this.apply([entry]);
      } catch (err) {
        if (isTransient(err)) {
          this.log.restore(slice.slice(i));
          throw err;
        }
        this.fail(entry, err);
      }
    }
  }

  private fail(entry: LogEntry, err: unknown): void {
    this.log.markFailed(entry, String(err));
    this.report(err);
  }
}
