"""Puts the start-up files at the root of the wheel's purelib (site-packages).

setuptools has no declarative way to place a file outside a package, and `data_files` lands in
the data scheme (not site-packages) for wheels. Copying the files into `build_lib` from a
`build_py` subclass makes them part of purelib, so every installer (pip, uv, installer) puts
them beside the package, where `site` reads `.pth` files (and, on 3.15+, `.start` files).
"""

from __future__ import annotations

import os
import shutil
from typing import List

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
START_FILES = ("primus_lens_wandb_exporter.pth", "primus_lens_wandb_exporter.start")


class BuildWithStartFiles(build_py):
    def run(self) -> None:
        super().run()
        for name in START_FILES:
            shutil.copyfile(os.path.join(HERE, "startup", name), os.path.join(self.build_lib, name))

    def get_outputs(self, include_bytecode: bool = True) -> List[str]:
        # Listed outputs end up in the wheel's RECORD, so `pip uninstall` removes the files.
        return super().get_outputs(include_bytecode) + [os.path.join(self.build_lib, n) for n in START_FILES]


setup(cmdclass={"build_py": BuildWithStartFiles})
