"""``modbayes study FILE.toml``: a grid of problems × surrogates × seeds, resumable, with a table and plots.

A study file (TOML)::

    name = "synthetic"
    seeds = [0, 1, 2]
    surrogates = ["gp", "ibnn", "bnn_hmc"]

    [defaults]               # every problem's budget (total evaluations), n_init, batch_size
    budget = 100
    n_init = 10
    batch_size = 10

    [problems.branin]        # one table per problem; keys override the defaults
    [problems.poly_draw200]
    budget = 350
    n_init = 100

    [surrogate_options.bnn_hmc]          # passed to surrogates.get (JSON values)
    method_options = { num_samples = 200 }

Each (problem, surrogate, seed) is one run directory ``OUT/runs/PROBLEM/SURROGATE-seedK``
in the ``modbayes run`` format (``state.json`` + ``trials.jsonl``), so ``modbayes plot``
reads it too. A cell that raises is reported (``OUT/errors.json``) and the grid goes on.
Where the problem is a continuous single-objective JAX-traceable function,
the surrogate has a pure-JAX fit and ``budget − n_init`` is a multiple of the batch size,
all pending seeds of a cell run together in ``minimize_compiled``; otherwise each seed runs in
the Python loop (``minimize``), which checkpoints after every batch. A finished run is never
redone, so a study stopped at any point continues where it was (``run_study`` again).

Outputs: ``OUT/summary.json`` and ``OUT/summary.md`` (median and quartiles of the final
simple regret, or hypervolume gap, or best value, per problem and surrogate, and the median
seconds per run) and ``OUT/PROBLEM.png`` (median and quartile bands against evaluations, as
the figures of Li, Rudner & Wilson, ICLR 2024).
"""

import json
import pathlib
import sys
import time
import tomllib

import jax
import numpy as np
from tqdm.auto import tqdm

from . import problems as problem_registry
from .compiled import minimize_compiled
from .loop import minimize
from .plotting import load_run, plot_runs, trace
from .step import traceable_fit
from .storage import RunDirectory
from .strategy import Strategy

_CELL_KEYS = {"budget", "n_init", "batch_size", "acquisition"}
_TOP_KEYS = {"name", "seeds", "surrogates", "defaults", "problems", "surrogate_options"}


def load_study(path) -> dict:
    """Read and check a study file; returns ``{"name", "seeds", "surrogates", "problems": {name: cell}, ...}``."""
    path = pathlib.Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"study file {path}: {e}") from e
    return check_study(raw, source=str(path))


def check_study(raw: dict, source: str = "study") -> dict:
    """Validate a study dictionary (the parsed TOML) and fill in the defaults."""
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {sorted(unknown)}; known: {sorted(_TOP_KEYS)}")
    seeds = raw.get("seeds", [0])
    if not (isinstance(seeds, list) and seeds and all(isinstance(s, int) and s >= 0 for s in seeds)):
        raise ValueError(f"{source}: seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    names = raw.get("surrogates")
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        raise ValueError(f"{source}: surrogates must be a non-empty list of names, got {names!r}")
    options = raw.get("surrogate_options", {})
    defaults = {"budget": 100, "n_init": None, "batch_size": 1, "acquisition": "logei", **raw.get("defaults", {})}
    if set(defaults) - _CELL_KEYS:
        raise ValueError(f"{source}: [defaults] takes {sorted(_CELL_KEYS)}, got {sorted(set(defaults) - _CELL_KEYS)}")
    cells = {}
    for problem, overrides in (raw.get("problems") or {}).items():
        problem_registry.get(problem)  # unknown problems fail here
        if set(overrides) - _CELL_KEYS:
            raise ValueError(f"{source}: [problems.{problem}] takes {sorted(_CELL_KEYS)}, got {sorted(overrides)}")
        cells[problem] = {**defaults, **overrides}
    if not cells:
        raise ValueError(f"{source}: no [problems.NAME] tables")
    for cell in cells.values():  # unknown surrogates, acquisitions and options fail here, before any run
        for name in names:
            cell_strategy(options, cell, name).acquisition_for(cell["batch_size"])
    return {"name": raw.get("name", "study"), "seeds": seeds, "surrogates": names, "options": options, "cells": cells}


def cell_strategy(options: dict, cell: dict, surrogate: str) -> Strategy:
    """The ``Strategy`` of one problem's cell for ``surrogate`` (its study options, if any)."""
    return Strategy(surrogate, cell["acquisition"], surrogate_options=options.get(surrogate, {}), n_init=cell["n_init"])


def run_dir(out, problem: str, surrogate: str, seed: int) -> pathlib.Path:
    return pathlib.Path(out) / "runs" / problem / f"{surrogate}-seed{seed}"


def is_finished(path, budget: int) -> bool:
    """A run directory holding ``budget`` trials and no pending batch."""
    run = RunDirectory(path)
    if not run.exists():
        return False
    return not run.read_state().get("pending") and len(run.read_trials()) >= budget


def jax_objective(problem):
    """The problem's objective if the compiled loop can trace it (continuous, one objective), else None."""
    if problem.kind != "continuous" or problem.num_objectives != 1:
        return None
    try:
        jax.eval_shape(problem.fun, jax.ShapeDtypeStruct((problem.dim,), jax.numpy.float64))
    except Exception:  # noqa: BLE001 — any tracing failure means: use the Python loop
        return None
    return problem.fun


def _compiled_ok(problem, strategy: Strategy, cell: dict) -> bool:
    try:
        traceable_fit(strategy.model)
    except ValueError:
        return False
    return jax_objective(problem) is not None and (cell["budget"] - cell["n_init"]) % cell["batch_size"] == 0


def run_study(study: dict, out, *, progress: bool = True, compiled: bool = True) -> list[dict]:
    """Run every unfinished (problem, surrogate, seed) of ``study`` (``load_study``) under ``out``.

    Returns the summary rows (also written to ``out/summary.json`` and ``summary.md``).
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "study.json").write_text(json.dumps(study, indent=1), encoding="utf-8")
    errors: list[dict] = []  # cells that raised (written to out/errors.json); the other cells still run
    total = len(study["cells"]) * len(study["surrogates"]) * len(study["seeds"])
    bar = tqdm(total=total, desc=f"study {study['name']}", unit="run", disable=not (progress and sys.stderr.isatty()))
    try:
        for problem_name, cell in study["cells"].items():
            problem = problem_registry.get(problem_name)
            for surrogate in study["surrogates"]:
                bar.set_postfix(problem=problem_name, surrogate=surrogate)
                try:
                    strategy = cell_strategy(study["options"], cell, surrogate)
                    sized = {**cell, "n_init": strategy.initial_design_size(problem.dim, cell["budget"])}
                    paths = {seed: run_dir(out, problem_name, surrogate, seed) for seed in study["seeds"]}
                    todo = [seed for seed, path in paths.items() if not is_finished(path, sized["budget"])]
                    bar.update(len(paths) - len(todo))
                    if todo and compiled and _compiled_ok(problem, strategy, sized):
                        _run_compiled(problem, strategy, sized, {seed: paths[seed] for seed in todo})
                        bar.update(len(todo))
                        continue
                    for seed in todo:
                        _run_python(problem, strategy, sized, seed, paths[seed])
                        bar.update(1)
                except Exception as e:  # noqa: BLE001 — one broken cell must not stop the grid
                    errors.append(
                        {"problem": problem_name, "surrogate": surrogate, "error": f"{type(e).__name__}: {e}"}
                    )
                    print(f"study: {problem_name}/{surrogate} failed: {errors[-1]['error']}", file=sys.stderr)
                    (out / "errors.json").write_text(json.dumps(errors, indent=1), encoding="utf-8")
    finally:
        bar.close()
    return summarize(study, out)


def _run_config(problem, surrogate: str, cell: dict, seed: int, path: str, seconds: float) -> dict:
    return {**cell, "problem": problem.name, "surrogate": surrogate, "seed": seed, "path": path, "seconds": seconds}


def _run_compiled(problem, strategy: Strategy, cell: dict, paths: dict) -> None:
    """All ``paths`` (seed -> run directory) of one cell in one ``minimize_compiled`` call."""
    start = time.perf_counter()
    sizes = {"budget": cell["budget"], "batch_size": cell["batch_size"]}
    result = minimize_compiled(problem.fun, problem.bounds, strategy=strategy, **sizes, seeds=list(paths))
    seconds = (time.perf_counter() - start) / len(paths)  # the call's wall time, shared by its seeds
    for i, (seed, path) in enumerate(paths.items()):
        run = RunDirectory(path)
        if run.trials_path.exists():
            run.trials_path.unlink()  # an unfinished earlier attempt: the compiled run replaces it whole
        for trial, (x, value) in enumerate(zip(result.X[i], result.y[i], strict=True)):
            ok = bool(np.isfinite(value))
            error = None if ok else f"non-finite value {float(value)}"
            run.append_trial({"trial": trial, "x": x.tolist(), "y": float(value) if ok else None, "error": error})
        config = _run_config(problem, strategy.surrogate, cell, seed, "compiled", seconds)
        run.write_state({"config": config, "pending": []})


def _run_python(problem, strategy: Strategy, cell: dict, seed: int, path) -> None:
    """One seed in ``minimize``, checkpointed in ``path`` (a partly done run continues)."""
    start = time.perf_counter()
    sizes = {"budget": cell["budget"], "batch_size": cell["batch_size"]}
    minimize(problem.fun, problem.bounds, strategy=strategy, **sizes, seed=seed, checkpoint=path, progress=False)
    run = RunDirectory(path)
    state = run.read_state()
    seconds = state["config"].get("seconds", 0.0) + time.perf_counter() - start
    config = _run_config(problem, strategy.surrogate, cell, seed, "python", seconds)
    run.write_state({**state, "config": {**state["config"], **config}})


def summarize(study: dict, out) -> list[dict]:
    """The table and plots of the finished runs under ``out`` (unfinished runs are left out)."""
    out = pathlib.Path(out)
    rows = []
    for problem_name, cell in study["cells"].items():
        dirs = []
        for surrogate in study["surrogates"]:
            finals, seconds, metric, paths = [], [], "", set()
            for seed in study["seeds"]:
                path = run_dir(out, problem_name, surrogate, seed)
                if not is_finished(path, cell["budget"]):
                    continue
                run = load_run(path)
                curve, metric = trace(run)
                finals.append(float(curve[cell["budget"] - 1]))
                seconds.append(float(run["config"].get("seconds", np.nan)))
                paths.add(run["config"].get("path", "python"))
                dirs.append(path)
            if not finals:
                continue
            q1, median, q3 = np.percentile(finals, [25, 50, 75])
            rows.append(
                {
                    "problem": problem_name,
                    "surrogate": surrogate,
                    "metric": metric,
                    "median": float(median),
                    "q1": float(q1),
                    "q3": float(q3),
                    "median_seconds_per_run": float(np.median(seconds)),
                    "runs": len(finals),
                    "path": ",".join(sorted(paths)),
                    "budget": cell["budget"],
                    "batch_size": cell["batch_size"],
                }
            )
        if dirs:
            plot_runs(dirs, out / f"{problem_name}.png", title=f"{problem_name}: median and quartiles over seeds")
    (out / "summary.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    (out / "summary.md").write_text(summary_table(rows), encoding="utf-8")
    return rows


def summary_table(rows: list[dict]) -> str:
    """The summary rows as a Markdown table."""
    lines = [
        "| problem | surrogate | metric | median | q1 | q3 | s/run | runs | loop |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['surrogate']} | {r['metric']} | {r['median']:.4g} | {r['q1']:.4g} | "
            f"{r['q3']:.4g} | {r['median_seconds_per_run']:.1f} | {r['runs']} | {r['path']} |"
        )
    return "\n".join(lines) + "\n"
