// Legend and tooltip labels for the (run, rank) series of a workload. The wandb run name comes
// first because that is what the user chose; when two series would read the same (a job re-run
// under one name, or a name shared across hosts), what tells them apart is added: the run id,
// the rank, the host. Pure: no DOM, unit-tested under Node.
import type { RunRow } from '../types.js';

export type SeriesLabeler = (runId: string, rank: number) => string;

interface Row {
  runId: string;
  rank: number;
  name: string;
  host: string | null;
}

function distinct<T>(values: T[]): number {
  return new Set(values).size;
}

export function seriesLabeler(runs: ReadonlyArray<RunRow>): SeriesLabeler {
  const rows: Row[] = runs.map((r) => ({
    runId: r.run_id,
    rank: r.rank ?? -1,
    name: r.name || r.run_id,
    host: r.host || r.pod_name || null,
  }));
  // Ranks are shown for every series as soon as the workload has more than one, so r0 and r1 of
  // one run never look like a single line.
  const multiRank = rows.some((r) => r.rank > 0);
  const byName = new Map<string, Row[]>();
  for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  const labels = new Map<string, string>();
  for (const [name, group] of byName) {
    const runIdsDiffer = distinct(group.map((r) => r.runId)) > 1;
    // The host names which run is which when same-named runs ran on different machines; the
    // ranks of one run on several hosts are told apart by their rank already.
    const firstHost = new Map<string, string | null>();
    for (const r of [...group].sort((a, b) => a.rank - b.rank)) if (!firstHost.has(r.runId)) firstHost.set(r.runId, r.host);
    const hostsDiffer = runIdsDiffer && distinct([...firstHost.values()]) > 1;
    for (const row of group) {
      const parts = [name];
      if (runIdsDiffer) parts.push(row.runId);
      if (row.rank >= 0 && (multiRank || distinct(group.map((r) => r.rank)) > 1)) parts.push(`r${row.rank}`);
      if (hostsDiffer && row.host) parts.push(row.host);
      labels.set(`${row.runId}#${row.rank}`, parts.join(' · '));
    }
  }
  return (runId, rank) => labels.get(`${runId}#${rank}`) ?? (rank >= 0 && multiRank ? `${runId} · r${rank}` : runId);
}
