"""A user's own objective for ``modbayes run --objective SPEC --bounds LOW:HIGH,...``.

``SPEC`` is ``path/to/file.py:NAME`` (a file, loaded as a module) or ``package.module:NAME``
(imported); ``NAME`` is a callable of one point ``x: [d]`` returning a float. Every check runs
before anything is evaluated, so a typo costs no compilation. The run's ``state.json`` keeps
the spec (a file as an absolute path) and the bounds, so ``--resume DIR`` needs neither flag.
"""

import importlib
import importlib.util
import pathlib
import sys

import numpy as np

from .problems import Problem


def parse_bounds(text: str) -> np.ndarray:
    """``"LOW:HIGH,LOW:HIGH,..."`` -> ``[d, 2]``; ``ValueError`` naming ``--bounds`` otherwise."""
    rows = []
    for k, part in enumerate(str(text).split(",")):
        pieces = part.split(":")
        try:
            low, high = (float(p) for p in pieces)
        except ValueError:
            raise ValueError(
                f"--bounds must be LOW:HIGH pairs separated by commas, e.g. -2:2,0:1; dimension {k} is {part!r}"
            ) from None
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"--bounds: dimension {k} needs finite LOW < HIGH, got {part!r}")
        rows.append((low, high))
    return np.array(rows, float)


def canonical_spec(spec: str) -> str:
    """The spec with a file made absolute, so that a resumed run finds it from any directory."""
    target, name = _split(spec)
    if target.endswith(".py"):
        return f"{pathlib.Path(target).resolve()}:{name}"
    return spec


def load_objective(spec: str):
    """The callable ``NAME`` of ``spec`` (module docstring); ``ValueError`` on a missing file or
    module, a missing name or a value that is not callable."""
    target, name = _split(spec)
    if target.endswith(".py"):
        path = pathlib.Path(target)
        if not path.is_file():
            raise ValueError(f"--objective: no file {path}")
        module_spec = importlib.util.spec_from_file_location(f"modbayes_objective_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        sys.path.insert(0, str(path.resolve().parent))  # the file may import its neighbours
        try:
            module_spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.resolve().parent))
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as e:
            raise ValueError(f"--objective: cannot import {target!r}: {e}") from None
    if not hasattr(module, name):
        raise ValueError(f"--objective: {target} has no {name!r}")
    fun = getattr(module, name)
    if not callable(fun):
        raise ValueError(f"--objective: {target}:{name} is a {type(fun).__name__}, not a callable of x: [d]")
    return fun


def objective_problem(spec: str, bounds) -> Problem:
    """A ``Problem`` (unknown optimum) for the user's objective over ``bounds: [d, 2]``."""
    bounds = np.asarray(bounds, float)
    return Problem(spec.rsplit("/", 1)[-1], load_objective(spec), bounds, None, len(bounds))


def _split(spec: str) -> tuple[str, str]:
    target, sep, name = str(spec).rpartition(":")
    if not sep or not target or not name.isidentifier():
        raise ValueError(f"--objective must be FILE.py:NAME or package.module:NAME, got {spec!r}")
    return target, name
