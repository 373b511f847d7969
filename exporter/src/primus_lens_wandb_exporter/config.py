"""Every environment variable the exporter reads, in one table.

The table is data so that `python -m primus_lens_wandb_exporter check` and the README can list
each variable with its value and default without a second copy of the names.
Variables are read when `load()` is called, never at import, so a notebook cell that changes
one and calls `load()` again sees the change (the original exporter read DEBUG once at interpreter start).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Tuple

DEFAULT_API_BASE_URL = "http://primus-lens-telemetry-processor:8080/api/v1"


def parse_bool(raw: Optional[str], default: bool) -> bool:
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Var:
    name: str
    default: str
    help: str


# (name, default as the user would type it, one-line meaning)
VARIABLES: Tuple[Var, ...] = (
    Var("PRIMUS_LENS_WANDB_HOOK", "true", "false turns the exporter off entirely (no patch, no thread)"),
    Var("PRIMUS_LENS_WANDB_API_REPORTING", "true", "send detection and metrics to the telemetry processor"),
    Var("PRIMUS_LENS_API_BASE_URL", DEFAULT_API_BASE_URL, "telemetry processor base URL"),
    Var(
        "PRIMUS_LENS_API_TOKEN",
        "",
        "bearer token: an ingest token for this job's namespace, when the server requires tokens",
    ),
    Var(
        "PRIMUS_LENS_CA_BUNDLE",
        "",
        "PEM file of the CA(s) to trust for an https:// base URL (a private CA); default: the system's",
    ),
    Var("PRIMUS_LENS_WANDB_BATCH_SIZE", "2000", "points per request; a full batch wakes the sender at once"),
    Var("PRIMUS_LENS_WANDB_FLUSH_INTERVAL", "2.0", "seconds between sends when batches are not full"),
    Var(
        "PRIMUS_LENS_WANDB_QUEUE_SIZE", "100000", "points held in memory; when full the oldest are dropped and counted"
    ),
    Var("PRIMUS_LENS_WANDB_TIMEOUT", "5.0", "seconds per HTTP request"),
    Var("PRIMUS_LENS_WANDB_EXIT_TIMEOUT", "10.0", "the most seconds the exporter may add to the end of a job"),
    Var("PRIMUS_LENS_WANDB_RETRY_WINDOW", "60.0", "seconds a batch is retried before it goes to the spool"),
    Var(
        "PRIMUS_LENS_WANDB_SPOOL_DIR",
        "",
        "on-disk spool for undeliverable batches (default: ~/.cache/primus-lens/spool)",
    ),
    Var("PRIMUS_LENS_WANDB_SPOOL_MAX_MB", "256", "spool size bound; when full its oldest data is dropped and counted"),
    Var(
        "PRIMUS_LENS_WANDB_SENDER",
        "process",
        "where JSON, gzip, HTTP and the spool run: process (a helper process) or thread",
    ),
    Var("PRIMUS_LENS_WANDB_RANKS", "all", "which ranks report: all, 0, 0,8, local0"),
    Var("PRIMUS_LENS_WANDB_HANDLE_SIGTERM", "false", "flush on SIGTERM, then chain to the previous handler"),
    Var("PRIMUS_LENS_WANDB_SAVE_LOCAL", "false", "also write JSONL per node and rank (needs OUTPUT_PATH)"),
    Var("PRIMUS_LENS_WANDB_OUTPUT_PATH", "", "root folder for the JSONL files"),
    Var("PRIMUS_LENS_WANDB_DEBUG", "false", "verbose output, including per-step lines"),
    Var("PRIMUS_LENS_WANDB_QUIET", "false", "print nothing but errors"),
)

_BY_NAME: Dict[str, Var] = {v.name: v for v in VARIABLES}


def default_spool_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "primus-lens", "spool")


@dataclass(frozen=True)
class Config:
    hook_enabled: bool
    api_reporting: bool
    api_base_url: str
    api_token: str
    batch_size: int
    flush_interval_s: float
    queue_size: int
    timeout_s: float
    exit_timeout_s: float
    retry_window_s: float
    spool_dir: str
    ranks: str
    handle_sigterm: bool
    save_local: bool
    output_path: str
    debug: bool
    quiet: bool
    # Added after the first cut; defaulted so a Config built by keyword elsewhere still works.
    spool_max_mb: int = 256
    # "process": a helper process does the sending, off the training process's GIL; "thread":
    # a thread in the training process does (also the fallback when the helper cannot run).
    sender: str = "process"
    # PEM file of the CAs trusted for https (replaces the system's store, as REQUESTS_CA_BUNDLE
    # does); "" trusts the system's CAs.
    ca_bundle: str = ""
    # Problems found while parsing (bad numbers fall back to the default); shown once by `check`
    # and at start in debug mode, never raised.
    warnings: Tuple[str, ...] = ()


def _raw(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    return _BY_NAME[name].default if value is None or value.strip() == "" else value.strip()


def ca_bundle(env: Mapping[str, str]) -> str:
    return env.get("PRIMUS_LENS_CA_BUNDLE", "").strip()


def load(env: Optional[Mapping[str, str]] = None) -> Config:
    env = os.environ if env is None else env
    warnings: List[str] = []

    def number(name: str, cast: Callable[[str], float], minimum: float) -> float:
        raw = _raw(env, name)
        try:
            value = cast(raw)
            if value < minimum:
                raise ValueError
            return value
        except ValueError:
            warnings.append(
                "%s=%r is not a valid number >= %s; using %s" % (name, raw, minimum, _BY_NAME[name].default)
            )
            return cast(_BY_NAME[name].default)

    def choice(name: str, allowed: Tuple[str, ...]) -> str:
        raw = _raw(env, name).lower()
        if raw in allowed:
            return raw
        warnings.append("%s=%r is not one of %s; using %s" % (name, raw, ", ".join(allowed), _BY_NAME[name].default))
        return _BY_NAME[name].default

    bundle = ca_bundle(env)
    if bundle and not os.path.isfile(bundle):
        warnings.append("PRIMUS_LENS_CA_BUNDLE=%r is not a file; https connections will fail until it is" % bundle)

    return Config(
        hook_enabled=parse_bool(env.get("PRIMUS_LENS_WANDB_HOOK"), True),
        api_reporting=parse_bool(env.get("PRIMUS_LENS_WANDB_API_REPORTING"), True),
        api_base_url=_raw(env, "PRIMUS_LENS_API_BASE_URL").rstrip("/"),
        api_token=env.get("PRIMUS_LENS_API_TOKEN", "").strip(),
        batch_size=int(number("PRIMUS_LENS_WANDB_BATCH_SIZE", int, 1)),
        flush_interval_s=number("PRIMUS_LENS_WANDB_FLUSH_INTERVAL", float, 0.01),
        queue_size=int(number("PRIMUS_LENS_WANDB_QUEUE_SIZE", int, 1)),
        timeout_s=number("PRIMUS_LENS_WANDB_TIMEOUT", float, 0.05),
        exit_timeout_s=number("PRIMUS_LENS_WANDB_EXIT_TIMEOUT", float, 0.0),
        retry_window_s=number("PRIMUS_LENS_WANDB_RETRY_WINDOW", float, 0.0),
        spool_dir=env.get("PRIMUS_LENS_WANDB_SPOOL_DIR", "").strip() or default_spool_dir(),
        ranks=_raw(env, "PRIMUS_LENS_WANDB_RANKS"),
        handle_sigterm=parse_bool(env.get("PRIMUS_LENS_WANDB_HANDLE_SIGTERM"), False),
        save_local=parse_bool(env.get("PRIMUS_LENS_WANDB_SAVE_LOCAL"), False),
        output_path=env.get("PRIMUS_LENS_WANDB_OUTPUT_PATH", "").strip(),
        debug=parse_bool(env.get("PRIMUS_LENS_WANDB_DEBUG"), False),
        quiet=parse_bool(env.get("PRIMUS_LENS_WANDB_QUIET"), False),
        spool_max_mb=int(number("PRIMUS_LENS_WANDB_SPOOL_MAX_MB", int, 0)),
        sender=choice("PRIMUS_LENS_WANDB_SENDER", ("process", "thread")),
        ca_bundle=bundle,
        warnings=tuple(warnings),
    )
