"""Renders results.json as the Markdown tables BENCHMARKS.md quotes."""
from __future__ import annotations

import math
from typing import Any, Dict, List


def _f(value: Any, digits: int = 1) -> str:
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return f"{value:,.{digits}f}"
    return "n/a"


def _table(head: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _ingest(r: Dict[str, Any]) -> str:
    s, t = r["shape"], r["targets"]
    rows = [[name, str(v.get("replicas", 1)), _f(v["points_per_s"], 0), ", ".join(_f(x, 0) for x in v["points_per_s_all"]),
             _f(v["p50_ms"]), _f(v["p99_ms"]), _f(v["peak_rss_mb"], 0), _f(v["db_bytes_per_m_points"] / 2**20),
             _f(v["server_cpu_s_per_m_points"], 2), _f(v.get("db_cpu_s_per_m_points"), 2),
             _f(v.get("db_backend_cpu_s_per_m_points"), 2), _f(v["loadgen_cpu_s_per_m_points"], 2), str(v["retries"])]
            for name, v in t.items()]
    out = (f"Stream: {s['runs']} runs × {s['metrics']} metrics × {s['steps']} steps, {s['points_per_request']} points "
           f"per request, {s['concurrency']} concurrent clients, {s['reps']} interleaved repetitions (median).\n\n"
           + _table(["target", "replicas", "points/s (median)", "each rep", "p50 ms", "p99 ms", "peak RSS MiB (servers)",
                     "DB MiB per 1M points", "server CPU s per 1M", "PostgreSQL CPU s per 1M (all processes)",
                     "of which backends", "loadgen CPU s per 1M", "resends (429/503 or stale socket)"], rows)
           + f"\nRatio ours/MLflow on SQLite: **{_f(r['ratio_ours_vs_mlflow'])}×** (gzip bodies: {_f(r['ratio_ours_gzip_vs_mlflow'])}×)\n")
    if "ratio_ours_pg_vs_mlflow_pg" in r:
        pg = r.get("postgres") or {}
        out += (f"\nOn PostgreSQL {pg.get('version', '?')} ({', '.join(f'{k}={v}' for k, v in (pg.get('settings') or {}).items())}): "
                f"ours/MLflow **{_f(r['ratio_ours_pg_vs_mlflow_pg'])}×**; ours on PostgreSQL / ours on SQLite "
                f"{_f(r['ratio_ours_pg_vs_ours_sqlite'], 2)}×; two replicas / one: {_f(r['ratio_x2_vs_one_replica'], 2)}× "
                f"(one workload split across them), {_f(r['ratio_x2_own_vs_one_replica'], 2)}× (a workload of its own each).\n")
    if "ratio_ours_pg_vs_baseline" in r:
        out += (f"\nOurs on PostgreSQL / the baseline build (`{r['baseline_main']}`) on the same cluster: "
                f"**{_f(r['ratio_ours_pg_vs_baseline'], 2)}×**; the baseline / MLflow: {_f(r['ratio_baseline_vs_mlflow_pg'])}×.\n")
    return out


def _shapes(r: Dict[str, Any]) -> str:
    s = r["shape"]
    rows = [[name, v["body"], str(v["points_per_request"]), str(v.get("client_addresses", "")), _f(v["points_per_s"], 0),
             ", ".join(_f(x, 0) for x in v["points_per_s_all"]), _f(v["requests_per_s"], 0), _f(v["p50_ms"]), _f(v["p99_ms"]),
             _f(v["server_cpu_s_per_m_points"], 2), _f(v["loadgen_cpu_s_per_m_points"], 2), str(v.get("waits", ""))]
            for name, v in r["cases"].items()]
    return (f"Ours on {s['backend']}; stream {s['runs']} runs × {s['metrics']} metrics × {s['steps']} steps, "
            f"{s['concurrency']} keep-alive clients, {s['reps']} interleaved repetitions (median).\n\n"
            + _table(["case", "body", "points/request", "client addresses", "points/s (median)", "each rep", "requests/s",
                      "p50 ms", "p99 ms", "server CPU s per 1M", "loadgen CPU s per 1M", "429/503 waits + resends"], rows)
            + f"\nLegacy body at 100 points / our exporter's at 1,000: {_f(r['ratio_legacy100_vs_exporter1000'], 2)}×; "
              f"legacy at 1,000 / ours at 1,000: {_f(r['ratio_legacy1000_vs_exporter1000'], 2)}×.\n")


def _query(r: Dict[str, Any]) -> str:
    rows = [[name, _f(v["median_ms"]), _f(v["p90_ms"]), _f(v["min_ms"]), str(v.get("reps", r["reps"]))]
            for name, v in r["cases"].items()]
    d = r["dashboard"]
    return (f"One series of {r['series_points']:,} points; dashboard = {d['metrics']} metrics × {d['runs']} runs × "
            f"{d['steps']:,} steps over {d['connections']} parallel connections.\n\n"
            + _table(["case", "median ms", "p90 ms", "min ms", "reps"], rows)
            + f"\nSpeed-up, 1M series: {_f(r['speedup_series_vs_history'])}× vs get-history, "
              f"{_f(r['speedup_series_vs_interval'])}× vs get-history-bulk-interval. Dashboard: "
              f"{_f(r['speedup_dashboard_vs_history'])}× vs get-history, {_f(r['speedup_dashboard_vs_interval'])}× vs "
              f"bulk-interval. Peak RSS: ours {_f(r['peak_rss_mb']['ours'], 0)} MiB, MLflow {_f(r['peak_rss_mb']['mlflow'], 0)} MiB.\n"
            + ("" if "pg_vs_sqlite_series" not in r else
               f"\nOurs on PostgreSQL / ours on SQLite (median ms): 1M series {_f(r['pg_vs_sqlite_series'], 2)}×, dashboard "
               f"{_f(r['pg_vs_sqlite_dashboard'], 2)}×; ours on PostgreSQL vs MLflow's bulk-interval: series "
               f"{_f(r['speedup_series_pg_vs_interval'])}×, dashboard {_f(r['speedup_dashboard_pg_vs_interval'])}×.\n")
            + ("" if "pg_vs_baseline_series" not in r else
               f"\nOurs on PostgreSQL / the baseline build (`{r['baseline_main']}`), median ms: 1M series "
               f"{_f(r['pg_vs_baseline_series'], 2)}×, dashboard {_f(r['pg_vs_baseline_dashboard'], 2)}×.\n"))


def _sum(*values: Any) -> Any:
    return None if any(v is None for v in values) else sum(values)


def _client(r: Dict[str, Any]) -> str:
    out = []
    configs = ("mlflow_async", "wandb_only", "wandb_exporter", "wandb_exporter_thread", "wandb_exporter_blackhole")
    for scalars in [k for k in ("10", "100") if k in r["per_call"]]:
        t = r["per_call"][scalars]
        rows = [[c, _f(t[c]["median_us"], 2), _f(t[c]["mean_us"], 2), _f(t[c]["p99_us"], 1),
                 _f(t[c].get("hook_added_us"), 2), _f(t[c].get("hook_cpu_us"), 2),
                 _f(t[c].get("reporter_thread_cpu_us"), 2), _f(_sum(t[c].get("hook_cpu_us"), t[c].get("reporter_thread_cpu_us")), 2),
                 _f(t[c]["finish_s"], 2), _f(t[c]["exit_s"], 2)] for c in configs]
        out.append(f"**{scalars} scalars per call**\n\n" + _table(
            ["config", "median µs/call", "mean µs/call", "p99 µs/call", "wrappers wall µs/call (in-process)",
             "wrapper CPU µs/call", "reporter thread CPU µs/call", "exporter CPU in the training process µs/call",
             "finish s", "exit s"], rows)
            + f"\nExporter vs wandb alone: {_f(t['ratio_exporter_vs_wandb'], 3)}× (+{_f(t['added_us_exporter'], 2)} µs); "
              f"sending on a thread instead of the shipper: {_f(t.get('ratio_thread_vs_wandb'), 3)}× "
              f"(+{_f(t.get('added_us_thread'), 2)} µs); "
              f"blackholed: {_f(t['ratio_blackhole_vs_wandb'], 3)}× (+{_f(t['added_us_blackhole'], 2)} µs); "
              f"wandb+exporter vs MLflow async: {_f(t['ratio_exporter_vs_mlflow'], 3)}×; "
              f"exporter's added cost vs MLflow's whole call: {_f(t['added_us_vs_mlflow'], 3)}×.\n")
    i = r["per_call"]["init"]
    out.append(f"wandb.init: {_f(i['wandb_only_ms'])} ms alone, {_f(i['wandb_exporter_ms'])} ms with the exporter "
               f"(difference {_f(i['added_ms'], 2)} ms, median of {i['samples']} each; time inside the exporter's "
               f"init wrapper, measured in-process: {_f(i.get('hook_added_ms'), 2)} ms).\n")
    c = r["cpu"]
    out.append(f"Exporter CPU: {_f(c['exporter_cpu_s_per_m_points'], 2)} s per million points "
               f"(process CPU {_f(c['wandb_exporter_cpu_s'], 2)} s with vs {_f(c['wandb_only_cpu_s'], 2)} s without, "
               f"{c['points']:,} points logged as 100-scalar calls). Delivered per run: "
               + "; ".join(f"{d['delivered']:,} of {d['logged']:,} at {_f(d['calls_per_s'], 0)} calls/s "
                           f"(dropped {(d['stats'] or {}).get('dropped')})" for d in c.get("delivery", [])) + ".\n")
    s = r["sustained"]
    out.append(f"Sustained wandb.log, 10 scalars: {_f(s['wandb_exporter_calls_per_s'], 0)} calls/s with the exporter "
               f"(wandb alone {_f(s['wandb_only_calls_per_s'], 0)} calls/s; sending on a thread "
               f"{_f(s.get('wandb_exporter_thread_calls_per_s'), 0)} calls/s); every point delivered and 0 dropped: "
               f"{s['zero_drops']}.\n")
    ab = r.get("ab") or {}
    if ab:
        rows = [[c, _f(v["off_median_us"], 2), _f(v["on_median_us"], 2), _f(v["added_median_us"], 2),
                 _f(v["ratio_median"], 3), _f(v["added_mean_us"], 2), _f(v["off_main_thread_cpu_us"], 2),
                 _f(v["on_main_thread_cpu_us"], 2), _f(v["added_cpu_us"], 2), _f(v.get("shipper_rss_mb"), 1)]
                for c, v in ab.items()]
        out.append("Same process, exporter patch on and off in alternating blocks (10 scalars):\n\n" + _table(
            ["config", "off median µs", "on median µs", "added µs", "ratio", "added mean µs",
             "main-thread CPU off µs", "on µs", "added µs", "shipper RSS MiB"], rows))
    ceiling = r.get("ceiling") or []
    if ceiling:
        rows = [[c["config"], f"{c['target_calls_per_s']:,}", _f(c["calls_per_s"], 0), _f(c["per_call_us_median"], 2),
                 _f(c["per_call_us_p99"], 1), f"{c['delivered_points']:,} / {c['expected_points']:,}",
                 str(c["dropped"]), str(c["zero_drops"])] for c in ceiling]
        out.append("The exporter's own ceiling (its wrapper, tracker and reporter on a stand-in Run, no wandb; "
                   "paced 10-scalar calls to our server):\n\n" + _table(
                       ["config", "target calls/s", "achieved calls/s", "median µs/call", "p99 µs/call",
                        "points delivered", "dropped", "zero drops"], rows))
    return "\n".join(out)


def _auth(r: Dict[str, Any]) -> str:
    s, t = r["shape"], r["targets"]
    rows = [[name, _f(v["points_per_s"], 0), ", ".join(_f(x, 0) for x in v["points_per_s_all"]), _f(v["p50_ms"]),
             _f(v["p99_ms"]), _f(v["server_cpu_s_per_m_points"], 2), str(v["retries"])] for name, v in t.items()]
    return (f"Ours on {s['backend']}, no auth (open) vs an ingest token for namespace `{s['namespace']}` checked on every "
            f"request; stream {s['runs']} runs × {s['metrics']} metrics × {s['steps']} steps, {s['points_per_request']} points "
            f"per request, {s['concurrency']} clients, {s['pairs']} paired repetitions in alternating order (median).\n\n"
            + _table(["side", "points/s (median)", "each rep", "p50 ms", "p99 ms", "server CPU s per 1M", "resends"], rows)
            + f"\nToken / open: points/s {_f(r['ratio_points_per_s'], 3)}× (median of pairs "
              f"{_f(r['median_pair_ratio_points_per_s'], 3)}×: {', '.join(_f(x, 3) for x in r['pair_ratios_points_per_s'])}); "
              f"server CPU per point {_f(r['median_pair_ratio_cpu'], 3)}× (pairs: {', '.join(_f(x, 3) for x in r['pair_ratios_cpu'])}).\n"
            + (f"\nThe check alone (bench/auth_check.ts, {r['check_alone']['calls']:,} calls): "
               f"+{_f(r['check_alone']['added_us_per_request'], 2)} µs CPU per request "
               f"({_f(r['check_alone']['token_us_per_request'], 2)} vs {_f(r['check_alone']['open_us_per_request'], 2)}), "
               f"{_f(r['check_alone']['share_of_request_cpu'] * 100, 3)}% of the "
               f"{_f(r['check_alone']['server_cpu_us_per_request'], 0)} µs of server CPU one 1,000-point request costs.\n"
               if "check_alone" in r else ""))


def _startup(r: Dict[str, Any]) -> str:
    rows = [[k, _f(v["median_ms"], 2), _f(v["p10_ms"], 2), _f(v["p90_ms"], 2)] for k, v in r["cases"].items()]
    return (_table(["python -c pass", "median ms", "p10 ms", "p90 ms"], rows)
            + f"\nAdded by the .pth: {_f(r['added_ms'], 2)} ms (median), {_f(r['added_ms_p10'], 2)} ms (p10), {r['runs']} runs each.\n")


def _health(r: Dict[str, Any]) -> str:
    s = r["shape"]
    out = (f"Ours with training-health evaluation on and off, side by side (A B B A …), stream {s['runs']} runs × "
           f"{s['metrics']} metrics × {s['steps']} steps, {s['points_per_request']} points per request, "
           f"{s['concurrency']} clients.\n\n")
    rows = []
    for backend in ("sqlite", "postgres"):
        b = r.get(backend)
        if not b:
            continue
        for name in ("on", "off"):
            v = b[name]
            rows.append([backend, name, _f(v["points_per_s"], 0), ", ".join(_f(x, 0) for x in v["points_per_s_all"]),
                         _f(v["p50_ms"]), _f(v["p99_ms"]), _f(v["server_cpu_s_per_m_points"], 2)])
    out += _table(["backend", "health", "points/s (median)", "each rep", "p50 ms", "p99 ms", "server CPU s per 1M"], rows)
    for backend in ("sqlite", "postgres"):
        b = r.get(backend)
        if b:
            out += (f"\n{backend}: throughput on/off {_f(b['throughput_on_vs_off'], 3)}× (medians), median of the pairs "
                    f"**{_f(b.get('median_pair_ratio_points_per_s'), 3)}×** "
                    f"({', '.join(_f(x, 3) for x in b.get('pair_ratios_points_per_s', []))}); server CPU per point on/off "
                    f"{_f(b['cpu_on_vs_off'], 3)}×, median of the pairs {_f(b.get('median_pair_ratio_cpu'), 3)}× "
                    f"({b['reps']} pairs of {b.get('points_per_rep', 0):,} points on {b.get('groups', 1)} pairs of servers).\n")
    for backend, e in (r.get("evaluation") or {}).items():
        out += ("\n" + _table(["evaluation, " + backend, "value"], [
            ["live runs", str(e["runs"])],
            ["hand-off on ingest per batch of " + str(e["points_per_batch"]) + " points (µs)", _f(e["observe_us_per_batch"], 1)],
            ["one flush, every run one new batch: wall ms (CPU ms)", f"{_f(e['flush_ms_median'])} ({_f(e['flush_cpu_ms_median'])})"],
            ["per run evaluated and saved (µs wall)", _f(e["flush_us_per_run"], 0)],
            ["sweep, nothing due (ms)", _f(e["sweep_nothing_due_ms"], 2)],
            ["sweep, every run stalled (ms)", _f(e["sweep_all_due_ms"])],
            ["/metrics/training page (ms; series; KiB)", f"{_f(e['metrics_page_ms'])}; {e['metrics_page_series']}; {_f(e['metrics_page_bytes'] / 1024, 0)}"],
            ["health answer of one 8-rank workload (ms)", _f(e["health_answer_ms"], 2)],
            ["stored state per run (bytes)", str(e["state_bytes_per_run"])],
            ["heap per cached run (bytes)", str(e["heap_bytes_per_cached_run"])],
        ]))
    return out


def render(results: Dict[str, Any]) -> str:
    m = results["machine"]
    parts = [f"# Bench results ({results['size']['name']})\n",
             f"{m['date_utc']}; {m['nproc']} × {m['cpu_model']}, {m['ram_gib']} GiB RAM; commit {m['git_commit']}; "
             f"node {m['node']}, {m['python']}, wandb {m['wandb']}, exporter {m['exporter']}, fastify {m['fastify']}, "
             f"better-sqlite3 {m['better_sqlite3']}, pg {m.get('node_pg', '?')}; MLflow {m['mlflow']} ({m['mlflow_python']}, SQLAlchemy "
             f"{m['mlflow_sqlalchemy']}, psycopg2 {m.get('mlflow_psycopg2', '?')}); {m.get('postgres', '?')}.\n"]
    for name, fn in (("ingest", _ingest), ("shapes", _shapes), ("query", _query), ("client", _client), ("startup", _startup),
                     ("auth", _auth),
                     ("health", _health)):
        r = results.get(name)
        if r is None:
            continue
        parts.append(f"## {name}\n")
        parts.append(f"FAILED: {r['error']}\n" if "error" in r else fn(r))
    prof = results.get("profile")
    if isinstance(prof, dict) and "error" not in prof:
        for target, p in prof.items():
            if not isinstance(p, dict) or "top" not in p:
                continue
            parts.append(f"## profile of ours during ingest, {target} (share of busy samples)\n")
            parts.append(f"{_f(p['points_per_s_under_profiler'], 0)} points/s under the profiler"
                         f" ({p.get('backend', 'sqlite')}, {p.get('points_per_request', 1000)} points per request).\n\n"
                         + _table(["function (self time)", "share"], [[str(n), f"{s * 100:.1f}%"] for n, s in p["top"]]))
            if p.get("inclusive"):
                parts.append("\n" + _table(["function (inclusive: itself and what it calls)", "share"],
                                            [[str(n), f"{s * 100:.1f}%"] for n, s in p["inclusive"]]))
    return "\n".join(parts)
