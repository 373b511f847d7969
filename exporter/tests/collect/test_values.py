"""The call-time value snapshot: what is kept, what is skipped, and that nothing is mutated."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from primus_lens_wandb_exporter.collect import values


def test_scalars_and_nested_dicts_flatten_with_dot_and_keep_slash() -> None:
    data = {"train/loss": 0.5, "n": 3, "ok": True, "eval": {"acc": 0.9, "deep": {"x": 1}}}
    before = copy.deepcopy(data)
    assert list(values.snapshot(data).items()) == [
        ("train/loss", 0.5),
        ("n", 3),
        ("ok", True),
        ("eval.acc", 0.9),
        ("eval.deep.x", 1),
    ]
    assert data == before


def test_nan_and_infinities_are_kept() -> None:
    out = dict(values.snapshot({"a": float("nan"), "b": float("inf"), "c": -math.inf, "d": np.float32("nan")}))
    assert math.isnan(out["a"]) and out["b"] == math.inf and out["c"] == -math.inf and math.isnan(float(out["d"]))


def test_numpy_scalars_kept_and_zero_d_arrays_copied_at_call_time() -> None:
    arr = np.array(1.5)
    one = np.array([2.0])
    out = dict(
        values.snapshot({"f32": np.float32(0.25), "i64": np.int64(7), "b": np.bool_(True), "arr": arr, "one": one})
    )
    arr[...] = 99.0  # training code mutates in place after logging
    one[0] = 99.0
    assert float(out["f32"]) == 0.25 and int(out["i64"]) == 7 and bool(out["b"]) is True
    assert float(out["arr"]) == 1.5 and float(out["one"]) == 2.0


def test_strings_lists_arrays_and_objects_are_skipped_and_counted_per_key() -> None:
    values.skipped_counts.clear()

    class Image:  # stands in for wandb media
        pass

    for _ in range(3):
        out = values.snapshot(
            {"s": "text", "l": [1, 2], "big": np.zeros(4), "img": Image(), "c": np.complex64(1j), "x": 1.0}
        )
        assert out == {"x": 1.0}
    assert values.skipped_counts == {"s": 3, "l": 3, "big": 3, "img": 3, "c": 3}


def test_non_string_nested_keys_become_strings() -> None:
    assert values.snapshot({"layer": {0: 1.0, 1: 2.0}}) == {"layer.0": 1.0, "layer.1": 2.0}


class FakeTensor:
    """Stands in for a torch tensor: the exporter must copy it, never call .item() on it."""

    __module__ = "torch"

    def __init__(self, value: float, n: int = 1) -> None:
        self.value, self.n, self.copies = value, n, 0

    def numel(self) -> int:
        return self.n

    def is_complex(self) -> bool:
        return False

    def detach(self) -> FakeTensor:
        return self

    def clone(self) -> FakeTensor:
        self.copies += 1
        return FakeTensor(self.value, self.n)

    def item(self) -> float:
        raise AssertionError(".item() on the training thread forces a device sync")

    def __float__(self) -> float:
        return self.value


def test_one_element_tensors_are_cloned_at_call_time_and_larger_ones_skipped() -> None:
    scalar, vector = FakeTensor(0.5), FakeTensor(1.0, n=3)
    out = dict(values.snapshot({"loss": scalar, "grads": vector}))
    assert list(out) == ["loss"] and scalar.copies == 1 and out["loss"] is not scalar
    scalar.value = 9.0  # an in-place update after logging does not reach the snapshot
    assert float(out["loss"]) == 0.5


def test_tensor_subclasses_defined_outside_torch_are_kept(monkeypatch: Any) -> None:
    import sys
    import types

    torch = types.ModuleType("torch")

    class Tensor(FakeTensor):
        pass

    Tensor.__module__ = "torch"
    torch.Tensor = Tensor  # type: ignore[attr-defined]

    class UserTensor(Tensor):  # as_subclass(UserTensor) in a user's code: module __main__
        pass

    UserTensor.__module__ = "__main__"
    monkeypatch.setitem(sys.modules, "torch", torch)
    out = values.snapshot({"mine": UserTensor(2.5)})
    assert float(out["mine"]) == 2.5
    monkeypatch.delitem(sys.modules, "torch")  # no torch imported: no tensor can exist, none looked for
    assert values.snapshot({"mine": UserTensor(2.5)}) == {}
