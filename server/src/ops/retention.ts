// LENS_RETENTION_DAYS: delete points (then workloads) older than the window, once shortly
// after start and then hourly. The timer is unref'd so it never keeps the process alive.
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';

export const RETENTION_INTERVAL_MS = 60 * 60 * 1_000;
/** The first sweep waits a little, so start-up (and the first requests) go first. */
export const FIRST_RUN_DELAY_MS = 5_000;

export function startRetention(
  app: FastifyInstance,
  store: Store,
  retentionDays: number | null,
  firstRunDelayMs = FIRST_RUN_DELAY_MS,
): void {
  if (retentionDays === null) return;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const sweep = (): void => {
    if (running !== null) return;
    const cutoff = Date.now() / 1_000 - retentionDays * 86_400;
    running = store
      .deleteOlderThan(cutoff)
      .then((r) => {
        if (r.points > 0 || r.workloads > 0)
          app.log.info({ points: r.points, workloads: r.workloads, retention_days: retentionDays }, 'retention removed old data');
      })
      .catch((err: unknown) => app.log.error({ err }, 'retention sweep failed'))
      .finally(() => {
        running = null;
      });
  };
  app.addHook('onReady', (done) => {
    timer = setTimeout(function tick() {
      sweep();
      timer = setTimeout(tick, RETENTION_INTERVAL_MS).unref();
    }, firstRunDelayMs).unref();
    done();
  });
  app.addHook('onClose', async () => {
    if (timer !== null) clearTimeout(timer);
    if (running !== null) await running;
  });
}
