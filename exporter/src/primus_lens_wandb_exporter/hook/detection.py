"""Framework detection for one run: the report at `wandb.init` and updates when it changes.

Only the cheap snapshot is taken here, on the training thread; the body (versions, GPU probes)
is built by the reporter's worker through the `build` callable. Frameworks are often imported
after `wandb.init`, so the tracker asks again at the first few log calls and at finish, and an
update is sent only when the evidence changed: the imported framework modules, what they show in
use, or the run's config (HF's and Lightning's loggers write theirs just after `wandb.init`).
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional, Tuple

from primus_lens_wandb_exporter import output
from primus_lens_wandb_exporter.collect import evidence
from primus_lens_wandb_exporter.model import RunInfo


def _cuda_initialized() -> bool:
    torch = sys.modules.get("torch")
    try:
        return bool(torch is not None and torch.cuda.is_initialized())
    except Exception:
        return False


class Detection:
    def __init__(self, reporter: Any, info: RunInfo) -> None:
        self._reporter = reporter
        self._info = info
        self._seq = 0
        self._state: Optional[Tuple[Any, ...]] = None
        self._cuda_ready = False

    def _submit(self, snap: evidence.Snapshot, reason: str) -> None:
        seq = self._seq
        self._seq += 1
        self._state = snap.state
        self._cuda_ready = _cuda_initialized()

        def build() -> Dict[str, Any]:  # on the reporter's worker thread
            return evidence.build_body(snap, seq, reason)

        self._reporter.submit_detection(build)

    def report_at_init(self, run: Any) -> None:
        snap = evidence.take_snapshot(run, self._info)
        self._submit(snap, "init")
        output.info(output.WANDB, "Framework detection data queued for reporting")
        output.detail("Detected frameworks: %s" % (snap.hints["possible_frameworks"],))
        output.detail("Confidence: %s" % snap.hints["confidence"])

    def maybe_update(self, run: Any, reason: str) -> None:
        if evidence.current_state(run) == self._state:
            if self._cuda_ready or not _cuda_initialized():
                return
            reason = "hardware"  # CUDA/ROCm came up since: torch can now name the GPUs for free
        snap = evidence.take_snapshot(run, self._info)
        self._submit(snap, reason)
        output.debug(
            output.WANDB,
            "framework modules changed (%s): detection update queued: %s" % (reason, snap.hints["possible_frameworks"]),
        )
