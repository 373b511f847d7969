"""The two sizes every scenario runs at: the full benchmark and the CI smoke run."""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple


class Sizes(NamedTuple):
    name: str
    # ingest: N runs (ranks) x M metrics x S steps, 1,000 points per request, C clients
    runs: int
    metrics: int
    steps: int
    warmup_steps: int
    reps: int
    # query: one series of `series_points`, a dashboard of 20 metrics, `query_reps` timings each
    series_points: int
    query_reps: int
    # client side: wandb.log / mlflow.log_metrics calls per measurement
    client_calls: int
    client_scalars: Tuple[int, ...]
    client_reps: int
    startup_runs: int
    init_runs: int
    sustained_calls: int
    cpu_points: int
    cpu_pairs: int  # interleaved with/without-exporter pairs for CPU, and for the sustained rate
    ceiling_rates: Tuple[int, ...]  # paced calls/s for the exporter-only ceiling, wandb taken out
    ceiling_calls: int
    ab_calls: int  # wandb.log calls per same-process on/off measurement (half with the patch on)
    ab_reps: int
    client_warmup: bool
    # smoke only: one server of each kind for all scenarios, MLflow with one worker, to stay short
    shared_servers: bool
    mlflow_workers: Optional[int]
    # ingest targets on the throw-away PostgreSQL cluster (MLflow's start on PostgreSQL runs its
    # migrations, ~10-40 s here, so the smoke run leaves it out)
    pg_targets: Tuple[str, ...] = ("ours-pg", "ours-pg-x2", "ours-pg-x2-own", "mlflow-pg")


FULL = Sizes(name="full", runs=8, metrics=20, steps=5000, warmup_steps=250, reps=3,
             series_points=1_000_000, query_reps=10,
             client_calls=3000, client_scalars=(10, 100), client_reps=3, startup_runs=60, init_runs=5,
             sustained_calls=50_000, cpu_points=1_000_000, cpu_pairs=2,
             ceiling_rates=(10_000, 20_000, 40_000), ceiling_calls=100_000, ab_calls=16_000, ab_reps=3,
             client_warmup=True,
             shared_servers=False, mlflow_workers=None)

SMOKE = Sizes(name="smoke", runs=2, metrics=5, steps=40, warmup_steps=8, reps=1,
              series_points=5_000, query_reps=2,
              client_calls=40, client_scalars=(10,), client_reps=1, startup_runs=3, init_runs=1,
              sustained_calls=300, cpu_points=2_000, cpu_pairs=1,
              ceiling_rates=(2_000,), ceiling_calls=500, ab_calls=400, ab_reps=1, client_warmup=False,
             shared_servers=True, mlflow_workers=1, pg_targets=("ours-pg", "ours-pg-x2"))
