"""A stand-in for the reporter (the interface the hook calls) that records what it is given."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from primus_lens_wandb_exporter.model import Row, RunInfo


class RecordingReporter:
    def __init__(self) -> None:
        self.rows: List[Row] = []
        self.detections: List[Callable[[], Dict[str, Any]]] = []
        self.finished: List[Tuple[RunInfo, Optional[int]]] = []
        self.threads: List[str] = []
        self._lock = threading.Lock()

    def submit_row(self, row: Row) -> None:
        with self._lock:
            self.rows.append(row)
            self.threads.append(threading.current_thread().name)

    def submit_plain(self, run: RunInfo, step: int, timestamp: float, values: Dict[str, Any]) -> None:
        self.submit_row(Row(run, step, timestamp, dict(values)))

    def submit_detection(self, build: Callable[[], Dict[str, Any]]) -> None:
        self.detections.append(build)

    def run_finished(self, run: RunInfo, exit_code: Optional[int]) -> None:
        self.finished.append((run, exit_code))

    def flush(self, timeout_s: float) -> bool:
        return True

    def shutdown(self, timeout_s: Optional[float] = None) -> None:
        pass

    def stats(self) -> Dict[str, int]:
        return {"metrics_sent": len(self.rows)}

    # helpers for assertions
    def table(self, run_id: Optional[str] = None) -> List[Tuple[int, Dict[str, Any]]]:
        return [(r.step, dict(r.items)) for r in self.rows if run_id is None or r.run.id == run_id]
