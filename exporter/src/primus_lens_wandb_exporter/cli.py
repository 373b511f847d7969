"""`python -m primus_lens_wandb_exporter check`: the diagnosis a user runs when data is missing.

It prints where the package and its start-up files are, whether the hook is active in this
interpreter, every setting with its value and default, the identity, and a real round-trip to
the API with the server's answer. Exit status: 0 when the round-trip succeeded, 1 otherwise.
"""

from __future__ import annotations

import gzip
import json
import os
import site
import ssl
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from typing import Any, List, Optional, Tuple

from primus_lens_wandb_exporter import __version__
from primus_lens_wandb_exporter import config as config_mod
from primus_lens_wandb_exporter.collect import identity

PTH_NAME = "primus_lens_wandb_exporter.pth"
START_NAME = "primus_lens_wandb_exporter.start"


def _site_dirs() -> List[str]:
    dirs: List[str] = []
    try:
        dirs.extend(site.getsitepackages())
    except AttributeError:  # some virtualenv builds lack it
        pass
    try:
        dirs.append(site.getusersitepackages())
    except AttributeError:
        pass
    dirs.append(sysconfig.get_paths()["purelib"])
    return list(dict.fromkeys(dirs))


def find_startup_files() -> List[str]:
    return [
        os.path.join(d, n) for d in _site_dirs() for n in (PTH_NAME, START_NAME) if os.path.isfile(os.path.join(d, n))
    ]


def hook_state() -> Tuple[str, bool]:
    """(description, active?) for this interpreter."""
    from primus_lens_wandb_exporter import _boot
    from primus_lens_wandb_exporter.hook import activate, import_hook

    if not _boot._hook_enabled():
        return "off (PRIMUS_LENS_WANDB_HOOK=false)", False
    if activate.is_patched():
        return "active: wandb is imported and patched", True
    if import_hook.is_registered():
        return "active: waiting for `import wandb` (lazy import hook registered at start-up)", True
    if "wandb" in sys.modules:
        return "NOT active: wandb is imported but not patched", False
    return "NOT active: the .pth did not run in this interpreter (python -S? editable install?)", False


def round_trip(cfg: config_mod.Config) -> Tuple[bool, str]:
    """POSTs an empty metrics body (valid per wire-format.md: 200, count 0) and returns the answer."""
    ident = identity.current()
    body = identity.wire_fields(ident, __version__)
    body.update({"run_id": "primus-lens-check", "timestamp": time.time(), "metrics": []})
    url = cfg.api_base_url + "/wandb/metrics"
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "User-Agent": "primus-lens-wandb-exporter/%s" % __version__,
    }
    if cfg.api_token:
        headers["Authorization"] = "Bearer " + cfg.api_token
    request = urllib.request.Request(url, gzip.compress(json.dumps(body).encode("utf-8")), headers, method="POST")
    context: Optional[ssl.SSLContext] = None
    if url.startswith("https://"):
        from primus_lens_wandb_exporter.report.transport import tls_context

        try:
            context = tls_context(cfg.ca_bundle)
        except (OSError, ssl.SSLError, ValueError) as exc:
            return False, "POST %s -> cannot load PRIMUS_LENS_CA_BUNDLE=%s: %s" % (url, cfg.ca_bundle, exc)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=cfg.timeout_s, context=context) as response:
            answer = response.read(4096).decode("utf-8", "replace")
            return True, "POST %s -> HTTP %d in %.0f ms: %s" % (
                url,
                response.status,
                (time.monotonic() - started) * 1000,
                answer,
            )
    except urllib.error.HTTPError as exc:
        answer = exc.read(4096).decode("utf-8", "replace")
        return False, "POST %s -> HTTP %d: %s" % (url, exc.code, answer)
    except Exception as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLCertVerificationError):
            hint = (
                "set PRIMUS_LENS_CA_BUNDLE to the PEM file of the CA that signed the server's certificate"
                if not cfg.ca_bundle
                else "PRIMUS_LENS_CA_BUNDLE=%s does not hold the CA that signed it" % cfg.ca_bundle
            )
            return False, "POST %s -> the server's TLS certificate is not trusted (%s): %s" % (
                url,
                reason.verify_message,
                hint,
            )
        return False, "POST %s -> failed: %s: %s" % (url, type(exc).__name__, exc)


def shipper_state(cfg: config_mod.Config) -> str:
    """Starts a shipper the way a training process would, and stops it again."""
    if cfg.sender != "process":
        return "thread (PRIMUS_LENS_WANDB_SENDER=%s): sending runs inside the training process" % cfg.sender
    from primus_lens_wandb_exporter.report.shipper.link import ShipperLink

    link = ShipperLink(cfg, identity.current())
    started = time.monotonic()
    if not link.start(10.0):
        return "process: FAILED to start the shipper (%s); jobs will send from a thread instead" % link.failure
    elapsed_ms = (time.monotonic() - started) * 1000
    pid = link.pid
    link.stop(0.0, 2.0)
    return "process: shipper (pid %s) started and answered in %.0f ms" % (pid, elapsed_ms)


def check(out: Any = None) -> int:
    out = out or sys.stdout
    cfg = config_mod.load()

    def say(text: str = "") -> None:
        out.write(text + "\n")

    say("Primus Lens wandb exporter %s" % __version__)
    say("  package:      %s" % os.path.dirname(os.path.abspath(__file__)))
    files = find_startup_files()
    say("  start-up:     %s" % (", ".join(files) if files else "NOT FOUND in %s" % ", ".join(_site_dirs())))
    state, _ = hook_state()
    say("  hook:         %s" % state)
    say("  python:       %s (%s)" % (sys.version.split()[0], sys.executable))
    say()
    say("Configuration (effective value | default | meaning):")
    width = max(len(v.name) for v in config_mod.VARIABLES)
    for var in config_mod.VARIABLES:
        raw = os.environ.get(var.name, "").strip()
        shown = ("***" if "TOKEN" in var.name else raw) if raw else (var.default or '""') + " (default)"
        say("  %-*s = %s | %s | %s" % (width, var.name, shown, var.default or '""', var.help))
    say("  spool directory in effect: %s" % cfg.spool_dir)
    for warning in cfg.warnings:
        say("  warning: %s" % warning)
    say()
    ident = identity.current()
    say("Identity:")
    say(
        "  workload_uid: %s"
        % (
            ident.workload_uid
            or "(unset: WORKLOAD_UID not set, reporting as workload %r)" % identity.fallback_workload(ident)
        )
    )
    say("  pod:          uid=%s name=%s namespace=%s" % (ident.pod_uid or "-", ident.pod_name, ident.namespace or "-"))
    say(
        "  rank:         rank=%s local_rank=%s world_size=%s node_rank=%s"
        % (ident.rank, ident.local_rank, ident.world_size, ident.node_rank)
    )
    say("  host/pid:     %s / %d" % (ident.host, ident.pid))
    say(
        "  reports:      %s (PRIMUS_LENS_WANDB_RANKS=%s)"
        % ("yes" if identity.rank_selected(ident, cfg.ranks) else "no", cfg.ranks)
    )
    say()
    if not cfg.hook_enabled:
        # Nothing would be sent from this environment, so a failed round-trip would mislead.
        say(
            "API round-trip: skipped: the exporter is switched off (PRIMUS_LENS_WANDB_HOOK=false); "
            "unset it to capture wandb"
        )
        return 0
    if not cfg.api_reporting:
        say("API round-trip: skipped (PRIMUS_LENS_WANDB_API_REPORTING=false)")
        return 0
    say("Sender: %s" % shipper_state(cfg))
    say()
    ok, answer = round_trip(cfg)
    say("API round-trip: %s" % ("OK" if ok else "FAILED"))
    say("  " + answer)
    return 0 if ok else 1


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["check"], []):
        return check()
    sys.stderr.write("usage: python -m primus_lens_wandb_exporter check\n")
    return 2
