// Child process for the crash test: writes, waits for the acknowledgement, reports it on
// stdout, then dies by SIGKILL without closing the store (no clean shutdown at all).
import { openStore } from '../../src/store/index.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: fixtures-crash-writer.ts <db path>');
const store = await openStore(path);
const acks = [];
for (let i = 0; i < 50; i++) {
  acks.push(
    store.writeMetrics({
      workload_uid: 'crash',
      run_id: 'r',
      rank: 0,
      identity: {},
      received_at: 1_700_000_000,
      points: [{ name: 'loss', step: i, value: i === 13 ? NaN : i, wall_time: 1_700_000_000 + i }],
    }),
  );
}
await Promise.all(acks);
process.stdout.write('acked 50\n', () => process.kill(process.pid, 'SIGKILL'));
