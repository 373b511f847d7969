"""Records who imports a framework module, in every process of a matrix job.

Python runs `sitecustomize` at start-up after the `.pth` files, so the exporter's start-up has
run and this finder, first in `sys.meta_path`, sees every import after it. For each module of a
framework it writes one line to $LENS_IMPORT_WATCH_OUT: the module and the file of the code that
imported it (the first frame outside the import machinery). The matrix asserts that no line
names the exporter: it reads sys.modules and package metadata, it never imports a framework.
The finder only looks; it always answers None, so the import itself is untouched.
"""
import json
import os
import sys

FRAMEWORKS = {"torch", "megatron", "deepspeed", "torchtitan", "lightning", "pytorch_lightning", "lightning_fabric",
              "transformers", "accelerate", "nemo", "colossalai", "jax", "flax", "primus", "MaxText", "maxtext"}
_OUT = os.environ.get("LENS_IMPORT_WATCH_OUT")


def _importer() -> str:
    """The file of the first frame outside the import machinery (and outside this file)."""
    frame = sys._getframe(0)
    while frame is not None:
        name = frame.f_code.co_filename
        machinery = name.startswith("<frozen importlib") or (os.sep + "importlib" + os.sep) in name
        if not machinery and name != __file__:
            return name
        frame = frame.f_back
    return "?"


class _ImportWatch:
    def find_spec(self, name, path=None, target=None):
        if _OUT and name.split(".")[0] in FRAMEWORKS:
            line = json.dumps({"pid": os.getpid(), "module": name, "importer": _importer()}) + "\n"
            fd = os.open(_OUT, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        return None

    def invalidate_caches(self):
        pass


sys.meta_path.insert(0, _ImportWatch())
