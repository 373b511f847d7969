// Which namespace a workload belongs to, and what a token may do there.
//
// A workload is filed under the namespace of the first report that names one (POD_NAMESPACE in
// the exporter) and stays there: the claim is atomic in the store, so two replicas cannot file
// one workload twice. Claims never change, so they are cached in this process once seen.
//
// Reports without a namespace (a job outside Kubernetes, a hand-written curl):
// - a token for every namespace (admin, an unscoped ingest token, LENS_API_TOKEN, open mode)
//   stores them as they are; such a workload has no namespace until a report names one, and
//   only tokens for every namespace see it;
// - a token for exactly one namespace files them under that namespace (the token says where
//   the job belongs);
// - a token for several namespaces is refused with 403: it cannot tell which one is meant.
import { errors } from '../errors.js';
import type { Store } from '../store/types.js';
import type { Principal } from './token-verifier.js';

const MAX_CACHED = 100_000;

export function coversAll(p: Principal): boolean {
  return p.namespaces.length === 0;
}

export class WorkloadNamespaces {
  private readonly known = new Map<string, string>();

  constructor(private readonly store: Store) {}

  async of(workloadUid: string): Promise<string | null> {
    const hit = this.known.get(workloadUid);
    if (hit !== undefined) return hit;
    const ns = await this.store.workloadNamespace(workloadUid);
    if (ns !== null) this.remember(workloadUid, ns);
    return ns;
  }

  /** True when the principal may read the workload; unknown workloads are visible only to tokens for every namespace. */
  async visible(p: Principal, workloadUid: string): Promise<boolean> {
    if (coversAll(p)) return true;
    const ns = await this.of(workloadUid);
    return ns !== null && p.namespaces.includes(ns);
  }

  /**
   * Checks that `p` may write this report and files the workload under its namespace. Returns
   * the namespace the report is stored with (filled in for a one-namespace token), or null.
   * Throws a 403 naming what is wrong.
   */
  async authorizeWrite(p: Principal, workloadUid: string, reported: string | null, at: number): Promise<string | null> {
    let ns = reported;
    if (!coversAll(p)) {
      if (ns === null) {
        if (p.namespaces.length !== 1) {
          throw errors.forbidden(
            `the report names no namespace and token "${p.name}" writes to several ` +
              `(${p.namespaces.join(', ')}): set POD_NAMESPACE in the job`,
          );
        }
        ns = p.namespaces[0] as string;
      } else if (!p.namespaces.includes(ns)) {
        throw errors.forbidden(
          `token "${p.name}" may write to namespace${p.namespaces.length > 1 ? 's' : ''} ` +
            `${p.namespaces.join(', ')}, not to "${ns}": use an ingest token for "${ns}"`,
        );
      }
    }
    if (ns === null) return null;
    const owner = this.known.get(workloadUid) ?? (await this.store.claimWorkloadNamespace(workloadUid, ns, at));
    this.remember(workloadUid, owner);
    if (owner !== ns && !coversAll(p)) {
      // Said without naming the other namespace: an ingest token must not learn about it.
      throw errors.forbidden(`workload ${workloadUid} belongs to another namespace; token "${p.name}" cannot write to it`);
    }
    return ns;
  }

  private remember(uid: string, ns: string): void {
    if (this.known.size >= MAX_CACHED) this.known.clear();
    this.known.set(uid, ns);
  }
}
