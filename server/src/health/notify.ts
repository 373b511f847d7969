// The optional webhook (LENS_HEALTH_WEBHOOK_URL): one JSON POST per workload whose runs
// changed status, with a Slack-compatible `text` field and the changes as data. Changes of one
// workload that arrive close together (64 ranks stalling at once) share one message. Delivery
// is retried with backoff (Retry-After honoured) on network errors, 408, 429 and 5xx; it runs
// on its own queue, so a slow or dead receiver never holds up ingest or evaluation.
import type { FastifyBaseLogger } from 'fastify';
import { type JsonNumber, jsonNumberOrNull } from '../http/non-finite.js';
import type { StatusChange } from './service.js';

export interface WebhookOptions {
  url: string;
  log?: FastifyBaseLogger;
  /** Changes of one workload within this window go in one message. */
  coalesceMs?: number;
  /** Attempts per message, the first included. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Messages waiting; beyond it the oldest is dropped. */
  maxQueued?: number;
  fetchImpl?: typeof fetch;
  onDelivered?: (ok: boolean) => void;
}

/** A change as sent: a non-finite event value spelled "NaN"/"Infinity"/"-Infinity", as the API does. */
export type WireChange = Omit<StatusChange, 'event'> & {
  event: (Omit<NonNullable<StatusChange['event']>, 'value'> & { value: JsonNumber | null }) | null;
};

export interface WebhookBody {
  text: string;
  workload_uid: string;
  namespace: string | null;
  changes: WireChange[];
}

const MAX_LINES = 10;

export function messageFor(workloadUid: string, changes: readonly StatusChange[]): WebhookBody {
  const ns = changes.find((c) => c.namespace !== null)?.namespace ?? null;
  const lines = changes.slice(0, MAX_LINES).map((c) => {
    const why = c.event === null ? '' : `: ${c.event.detail}`;
    return `• run ${c.run_id} rank ${c.rank}: ${c.previous} → *${c.status}*${why}`;
  });
  if (changes.length > MAX_LINES) lines.push(`• … and ${changes.length - MAX_LINES} more`);
  const where = ns === null ? '' : ` (namespace ${ns})`;
  return {
    text: `Primus Lens: workload ${workloadUid}${where}\n${lines.join('\n')}`,
    workload_uid: workloadUid,
    namespace: ns,
    changes: changes.map((c) => ({
      ...c,
      event: c.event === null ? null : { ...c.event, value: jsonNumberOrNull(c.event.value) },
    })),
  };
}

export class WebhookNotifier {
  private readonly buffers = new Map<string, StatusChange[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly queue: WebhookBody[] = [];
  private sending: Promise<void> | null = null;
  private readonly o: Required<Omit<WebhookOptions, 'log' | 'onDelivered'>> & Pick<WebhookOptions, 'log' | 'onDelivered'>;

  constructor(opts: WebhookOptions) {
    this.o = {
      coalesceMs: 2_000,
      attempts: 6,
      baseDelayMs: 1_000,
      maxDelayMs: 60_000,
      timeoutMs: 5_000,
      maxQueued: 1_000,
      fetchImpl: fetch,
      ...opts,
    };
  }

  notify(change: StatusChange): void {
    const list = this.buffers.get(change.workload_uid) ?? [];
    list.push(change);
    this.buffers.set(change.workload_uid, list);
    if (!this.timers.has(change.workload_uid)) {
      this.timers.set(change.workload_uid, setTimeout(() => this.release(change.workload_uid), this.o.coalesceMs).unref());
    }
  }

  /** Sends what is buffered now and waits for every delivery to end (tests, shutdown). */
  async flush(): Promise<void> {
    for (const uid of [...this.buffers.keys()]) this.release(uid);
    while (this.sending !== null) await this.sending;
  }

  private release(uid: string): void {
    const timer = this.timers.get(uid);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(uid);
    const changes = this.buffers.get(uid);
    this.buffers.delete(uid);
    if (changes === undefined || changes.length === 0) return;
    this.queue.push(messageFor(uid, changes));
    if (this.queue.length > this.o.maxQueued) {
      this.queue.shift();
      this.o.log?.warn('health webhook: queue full, oldest message dropped');
    }
    if (this.sending === null) {
      this.sending = this.drain().finally(() => {
        this.sending = null;
      });
    }
  }

  private async drain(): Promise<void> {
    for (let body = this.queue.shift(); body !== undefined; body = this.queue.shift()) {
      const ok = await this.deliver(body);
      this.o.onDelivered?.(ok);
    }
  }

  private async deliver(body: WebhookBody): Promise<boolean> {
    const payload = JSON.stringify(body);
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      let retryAfterMs: number | null = null;
      try {
        const res = await this.o.fetchImpl(this.o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: payload,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return true;
        if (!(res.status === 408 || res.status === 429 || res.status >= 500)) {
          this.o.log?.warn(
            { status: res.status, workload_uid: body.workload_uid },
            'health webhook refused the message; not retried',
          );
          return false;
        }
        const after = Number(res.headers.get('retry-after'));
        if (Number.isFinite(after) && after >= 0) retryAfterMs = after * 1_000;
      } catch (err) {
        this.o.log?.debug({ err, attempt }, 'health webhook delivery failed');
      }
      if (attempt < this.o.attempts) {
        const backoff = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.o.maxDelayMs, retryAfterMs ?? backoff)).unref());
      }
    }
    this.o.log?.warn({ workload_uid: body.workload_uid, attempts: this.o.attempts }, 'health webhook: message not delivered');
    return false;
  }
}
