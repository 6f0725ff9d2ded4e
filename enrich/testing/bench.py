"""What every benchmark does first, so that it measures what a user's installed copy does."""

from __future__ import annotations

import compileall
from pathlib import Path

import enrich


def compile_like_an_install() -> None:
    """Write the bytecode of enrich's modules, as `pip install` does at install time.

    A checkout run with PYTHONDONTWRITEBYTECODE=1 (set on this machine) compiles every enrich module
    from source at every start: about 0.15-0.3 s of CPU in a batch's start-up that no installed copy
    pays. The files go to `__pycache__` folders, which git ignores.
    """
    compileall.compile_dir(str(Path(enrich.__file__).parent), quiet=1)
