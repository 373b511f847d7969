"""Interception against the fake wandb in its old (0.16) and new (0.31) shapes.

Each test compares the rows the exporter produced with the rows the fake's wandb-core stored.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest

from primus_lens_wandb_exporter.hook import patch

from .patched_fake import SHAPES, fake_wandb, stored


@pytest.mark.parametrize("shape", SHAPES)
def test_wandb_log_and_run_log_each_recorded_once_with_wandb_steps(shape: str) -> None:
    with fake_wandb(shape) as (wandb, reporter, _):
        run = wandb.init(project="p")
        wandb.log({"a": 1})
        run.log({"a": 2})
        run._log({"w": 3}, commit=False)  # wandb.watch / TensorBoard path
        wandb.log({"a": 4, "b": 4}, step=5)  # held open: a step was given
        run.log({"a": 6})  # merges into step 5, then commits it
        run.log({"a": 7})
        wandb.finish()
        assert stored(run) == [(0, {"a": 1}), (1, {"a": 2}), (2, {"w": 3}), (5, {"a": 6, "b": 4}), (6, {"a": 7})]
        assert reporter.table() == stored(run)
        assert [(info.id, code) for info, code in reporter.finished] == [(run.id, 0)]


@pytest.mark.parametrize("shape", SHAPES)
def test_with_block_finishes_through_private_finish(shape: str) -> None:
    with fake_wandb(shape) as (wandb, reporter, _):
        with pytest.raises(ValueError), wandb.init(project="p") as run:
            run.log({"x": 1.0}, step=3)
            raise ValueError("boom")
        assert reporter.table() == [(3, {"x": 1.0})] == stored(run)
        assert [code for _, code in reporter.finished] == [1]


@pytest.mark.parametrize("shape", SHAPES)
def test_repeated_init_returns_same_run_and_reports_once(shape: str) -> None:
    with fake_wandb(shape) as (wandb, reporter, _):
        first = wandb.init(project="p")
        again = wandb.init(project="p")
        assert first is again
        wandb.log({"a": 1})
        assert len(reporter.detections) == 1
        assert reporter.table() == [(0, {"a": 1})]


def test_create_new_keeps_two_live_runs_apart() -> None:
    with fake_wandb("new") as (wandb, reporter, _):
        r1 = wandb.init(project="p")
        r2 = wandb.init(project="p", reinit="create_new")
        wandb.log({"a": 1})  # goes to r1: create_new does not become global
        r2.log({"b": 1})
        r2.log({"b": 2})
        r1.log({"a": 2})
        r2.finish()
        r1.finish()
        assert reporter.table(r1.id) == stored(r1) == [(0, {"a": 1}), (1, {"a": 2})]
        assert reporter.table(r2.id) == stored(r2) == [(0, {"b": 1}), (1, {"b": 2})]
        assert [info.id for info, _ in reporter.finished] == [r2.id, r1.id]


@pytest.mark.parametrize("shape", SHAPES)
def test_other_threads_land_on_the_right_run(shape: str) -> None:
    with fake_wandb(shape) as (wandb, reporter, _):
        run = wandb.init(project="p")

        def work(tag: str) -> None:
            for i in range(200):
                run.log({tag: i})

        threads = [threading.Thread(target=work, args=("t%d" % n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        run.finish()
        assert sorted(s for s, _ in reporter.table()) == list(range(800))
        assert len(set(reporter.threads)) >= 2


@pytest.mark.parametrize("shape", SHAPES)
def test_rejected_calls_are_not_recorded_and_user_dict_is_untouched(shape: str) -> None:
    with fake_wandb(shape) as (wandb, reporter, _):
        run = wandb.init(project="p")
        with pytest.raises((TypeError, ValueError)):
            run.log(["not", "a", "dict"])
        data = {"loss": 0.5, "nested": {"a": 1}}
        snapshot = copy.deepcopy(data)
        run.log(data)
        assert data == snapshot and data.keys() == snapshot.keys()
        assert reporter.table() == [(0, {"loss": 0.5, "nested.a": 1})]


def test_disabled_mode_is_passive_new_shape() -> None:
    with fake_wandb("new") as (wandb, reporter, _):
        run = wandb.init(project="p", mode="disabled")
        wandb.log({"a": 1})
        run.log({"a": 2})
        run._log({"a": 3})  # even the inherited private path stays silent
        with run:
            pass
        assert reporter.rows == [] and reporter.detections == [] and reporter.finished == []


def test_disabled_mode_is_passive_old_shape() -> None:
    with fake_wandb("old") as (wandb, reporter, _):
        run = wandb.init(project="p", mode="disabled")
        run.log({"a": 1})
        assert reporter.rows == [] and reporter.detections == []


@pytest.mark.parametrize("shape", SHAPES)
def test_step_rules_match_what_wandb_stored(shape: str) -> None:
    with fake_wandb(shape) as (wandb, reporter, _):
        run = wandb.init(project="p", resume_from_step=10)
        run.log({"a": 1})  # 10
        run.log({"b": 1}, commit=False)  # pending 11
        run.log({"c": 1})  # 11 with b, c
        run.log({"d": 1}, step=20)  # pending 20
        run.log({"e": 1}, step=20)  # merges
        run.log({"f": 1}, step=15)  # dropped by wandb
        run.log({"g": 1}, step=21, commit=True)
        run.log({"h": float("nan")})  # 22
        run.log({"i": 1}, step=30)  # pending at finish
        run.finish()
        assert reporter.table()[:-1] == stored(run)[:-1]
        assert [s for s, _ in reporter.table()] == [10, 11, 20, 21, 22, 30] == [s for s, _ in stored(run)]


@pytest.mark.parametrize("shape", SHAPES)
def test_patch_after_init_adopts_run_and_refreshes_wandb_log(shape: str) -> None:
    with fake_wandb(shape, patch_first=False) as (wandb, reporter, tracker):
        from primus_lens_wandb_exporter.hook import patch

        run = wandb.init(project="p")
        run.log({"early": 1})
        stale = wandb.log
        assert patch.apply(wandb, tracker, lambda: None)
        assert wandb.log is not stale or shape == "old"
        wandb.log({"late": 2})
        run.log({"late": 3})
        run.finish()
        assert reporter.table() == [(1, {"late": 2}), (2, {"late": 3})]


@pytest.mark.parametrize("shape", SHAPES)
def test_log_that_reaches_private_log_gets_no_second_wrapper(shape: str) -> None:
    with fake_wandb(shape) as (wandb, _, _):
        run_cls = wandb.sdk.wandb_run.Run
        assert hasattr(run_cls._log, patch._ORIGINAL)
        assert not hasattr(run_cls.log, patch._ORIGINAL)


def test_log_that_bypasses_private_log_is_caught_by_the_fallback() -> None:
    with fake_wandb("new", patch_first=False) as (wandb, reporter, tracker):
        run_cls = wandb.sdk.wandb_run.Run
        original_log = run_cls.log

        def log(self: Any, data: Any, step: Any = None, commit: Any = None) -> None:
            # An unusual Run.log that reaches history without calling the (patched) Run._log;
            # the name is built so that it does not appear in this function's code.
            private = getattr(type(self), "_" + "log")
            getattr(private, patch._ORIGINAL, private)(self, data, step, commit)

        run_cls.log = log
        try:
            assert patch.apply(wandb, tracker, lambda: None)
            assert hasattr(run_cls.log, patch._ORIGINAL)
            run = wandb.init(project="p")
            run.log({"a": 1})
            run.log({"a": 2})
            wandb.finish()
            assert reporter.table() == stored(run) == [(0, {"a": 1}), (1, {"a": 2})]
        finally:
            patch.unpatch()
            run_cls.log = original_log


@pytest.mark.parametrize("shape", SHAPES)
def test_wandbs_own_log_signature_gets_the_exact_wrapper(shape: str) -> None:
    with fake_wandb(shape) as (wandb, _, _):
        wrapper = wandb.sdk.wandb_run.Run.__dict__["_log"]
        assert wrapper.__code__.co_varnames[:4] == ("self", "data", "step", "commit")
        assert not wrapper.__code__.co_flags & 0x0C  # no *args, no **kwargs


def test_an_unfamiliar_private_log_signature_gets_the_general_wrapper() -> None:
    with fake_wandb("new", patch_first=False) as (wandb, reporter, tracker):
        run_cls = wandb.sdk.wandb_run.Run
        original = run_cls._log

        # A future wandb adding a keyword-only parameter: the exact wrapper would refuse it.
        def _log(self: Any, data: Any, step: Any = None, commit: Any = None, *, source: str = "user") -> None:
            assert source in ("user", "watch")
            original(self, data, step, commit)

        run_cls._log = _log
        try:
            assert patch.apply(wandb, tracker, lambda: None)
            assert run_cls.__dict__["_log"].__code__.co_flags & 0x0C  # *args/**kwargs: the general one
            run = wandb.init(project="p")
            run.log({"a": 1})
            run._log(data={"w": 2}, commit=False, source="watch")
            run._log({"a": 3}, 4)
            run.log({"b": 5})
            wandb.finish()
            assert reporter.table() == stored(run) == [(0, {"a": 1}), (1, {"w": 2}), (4, {"a": 3, "b": 5})]
        finally:
            patch.unpatch()
            run_cls._log = original
