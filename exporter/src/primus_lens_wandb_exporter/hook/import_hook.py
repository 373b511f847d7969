"""A `sys.meta_path` finder that runs our patch right after `wandb/__init__.py` has executed.

A lookup is not an import. transformers and Accelerate ask `importlib.util.find_spec("wandb")`
to see whether wandb is installed, and only later import it (or never do). So the finder wraps
the loader of every spec it is asked for and stays registered; only the wrapper's `exec_module`,
which runs when wandb's module really executes, removes it and installs the hook. Any number of
lookups, by any thread, before the import leave the finder in place.

Duck-typed on purpose: subclassing `importlib.abc.MetaPathFinder` would import `importlib.abc`
(and `typing`) at every interpreter start, ~30 ms. The finder answers for the top-level `wandb`
package only: every `wandb.*` import (`from wandb.sdk import ...`) runs `wandb/__init__.py` first.
"""

import sys
from _thread import get_ident

# mypy reads this as True, as it reads typing.TYPE_CHECKING; importing typing here instead would
# cost every interpreter start. The annotations below are strings, never evaluated.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any, Optional, Sequence, Set

_TARGET = "wandb"


class _PatchAfterExecLoader:
    """Wraps wandb's real loader: delegates everything, adds one step after `exec_module`."""

    def __init__(self, loader: "Loader", spec: "ModuleSpec") -> None:
        self._loader = loader
        self._spec = spec

    def create_module(self, spec: "ModuleSpec") -> "Optional[ModuleType]":
        return self._loader.create_module(spec)

    def exec_module(self, module: "ModuleType") -> None:
        # Put the real loader back first so wandb's own resource lookups and any later reload
        # never see us; importlib already copied our wrapper into module.__loader__.
        self._spec.loader = self._loader
        try:
            module.__loader__ = self._loader
        except Exception:
            pass
        self._loader.exec_module(module)  # if wandb fails to import, the finder stays for a retry
        unregister()
        try:
            from primus_lens_wandb_exporter.hook.activate import on_wandb_imported

            on_wandb_imported(module)
        except Exception:
            pass

    def __getattr__(self, name: str) -> "Any":
        # get_code, is_package, get_resource_reader, ...: whatever importlib or a tool asks for.
        return getattr(self._loader, name)


class WandbImportFinder:
    def __init__(self) -> None:
        # Threads inside our own lookup below, which must not find us again. Per thread: one
        # thread's `find_spec` probe must not hide the finder from another thread's import.
        self._busy: Set[int] = set()

    def find_spec(
        self, fullname: str, path: "Optional[Sequence[str]]" = None, target: "Optional[ModuleType]" = None
    ) -> "Optional[ModuleSpec]":
        if fullname != _TARGET:
            return None
        me = get_ident()
        if me in self._busy:
            return None
        self._busy.add(me)
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
                return spec
            wrapper: Any = _PatchAfterExecLoader(spec.loader, spec)  # a Loader by duck typing
            spec.loader = wrapper
            return spec
        except Exception:
            return None
        finally:
            self._busy.discard(me)


_finder = WandbImportFinder()


def register() -> None:
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def unregister() -> None:
    try:
        sys.meta_path.remove(_finder)
    except ValueError:
        pass


def is_registered() -> bool:
    return _finder in sys.meta_path
