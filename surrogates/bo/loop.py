"""``minimize``: the Bayesian-optimisation loop around an ``Optimizer``.

Per iteration: ask for a batch, write the batch to ``state.json`` as pending,
evaluate it (in-process or through an Executor), append each outcome to
``trials.jsonl`` as it arrives, then tell the optimizer in trial order. A run
directory can therefore be resumed after a kill at any point: finished trials are
read back, the pending batch's missing trials are evaluated, and because proposals
depend only on (seed, ask counter, data) the continued run equals the uninterrupted one.
"""

import math
import sys
import time
from collections.abc import Callable

import numpy as np
from tqdm.auto import tqdm

from inference.validation import check_positive_int

from .evaluate import Outcome, evaluate
from .hypervolume import hypervolume
from .optimizer import Optimizer
from .result import Result
from .storage import RunDirectory
from .strategy import Strategy


def minimize(
    fun: Callable,
    bounds,
    *,
    strategy: Strategy | None = None,
    surrogate: str | None = None,
    acquisition: str | None = None,
    n_init: int | None = None,
    budget: int = 100,
    batch_size: int = 1,
    seed: int = 0,
    checkpoint=None,
    executor=None,
    progress: bool = True,
    timeout: float | None = None,
    surrogate_options: dict | None = None,
    acquisition_options: dict | None = None,
    optimizer_options: dict | None = None,
    ref_point=None,
) -> Result:
    """Minimise ``fun(x: [d]) -> float`` (or ``[m]`` values) over ``bounds`` with ``budget`` evaluations.

    ``n_init`` Sobol points (default ``min(2(d+1), budget // 3)``, at least 1) come
    first, then batches of ``batch_size`` model-based proposals. ``checkpoint``: a
    run directory (``trials.jsonl``, ``state.json``); if it already holds a run, that
    run's configuration and data are used and it continues up to ``budget``.
    ``executor``: any ``concurrent.futures.Executor`` (or a dask ``Client``) to
    evaluate a batch in parallel. ``timeout``: seconds a batch may take; late
    evaluations become failures. ``ref_point: [m]``: for several objectives, the hypervolume
    reference point, so that ``Result.history`` tracks the hypervolume (``problem.ref_point``
    for the built-in problems). ``strategy``: a ``Strategy``, or spell it out with ``surrogate``,
    ``acquisition``, ``n_init`` and the ``*_options`` (not both). See ``Optimizer``.
    """
    if not callable(fun):
        raise TypeError(f"fun must be a callable of one point x: [d], got {type(fun).__name__} {fun!r}")
    budget = check_positive_int(budget, "budget")
    batch_size = check_positive_int(batch_size, "batch_size")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    opt = Optimizer(
        bounds,
        strategy=strategy,
        surrogate=surrogate,
        acquisition=acquisition,
        seed=seed,
        n_init=n_init,
        surrogate_options=surrogate_options,
        acquisition_options=acquisition_options,
        optimizer_options=optimizer_options,
        budget=budget,
    )
    run = None if checkpoint is None else RunDirectory(checkpoint)
    config = {"budget": budget, "batch_size": batch_size}
    return run_loop(
        opt, fun, run=run, config=config, executor=executor, timeout=timeout, progress=progress, ref_point=ref_point
    )


def _best(trials: list[dict], ref_point) -> float:
    ys = [t["y"] for t in trials if t["error"] is None]
    if not ys:
        return math.nan
    Y = np.asarray(ys, float)
    if Y.ndim == 1:
        return float(Y.min())
    return hypervolume(Y, ref_point) if ref_point is not None else math.nan


def restore(run: RunDirectory) -> tuple[Optimizer, dict, list[dict], list[dict]]:
    """Optimizer (data from the trial log), config, finished trials and the pending batch of a run."""
    state = run.read_state()
    opt = Optimizer.from_state_dict(state["optimizer"])
    trials = sorted(run.read_trials(repair=True), key=lambda t: t["trial"])
    pending = state.get("pending", [])
    pending_ids = {p["trial"] for p in pending}
    for t in trials:
        if t["trial"] not in pending_ids:
            _tell(opt, t)
    return opt, state["config"], trials, pending


def _tell(opt: Optimizer, trial: dict) -> None:
    if trial["error"] is None:
        opt.tell(np.asarray([trial["x"]]), np.asarray([trial["y"]]))
    else:
        opt.tell_failure(np.asarray(trial["x"]), trial["error"])


def run_loop(opt, fun, *, run=None, config, executor=None, timeout=None, progress=True, ref_point=None) -> Result:
    """Drive ``opt`` until ``config["budget"]`` trials exist; resume ``run`` if it holds a run."""
    trials: list[dict] = []
    pending: list[dict] = []
    budget, batch_size = config["budget"], config["batch_size"]
    if run is not None and run.exists():
        opt, saved_config, trials, pending = restore(run)
        config = {**saved_config, "budget": budget}
        batch_size = config["batch_size"]
    opt.strategy.acquisition_for(batch_size)  # an acquisition that cannot batch fails now, not after n_init

    def record(outcome: Outcome) -> None:
        if run is not None:
            run.append_trial(outcome.to_json())

    def save(pending_batch: list[dict]) -> None:
        if run is not None:
            state = {"config": config, "optimizer": opt.state_dict(include_data=False), "pending": pending_batch}
            run.write_state(state)

    history: list[dict] = []
    totals = {"fit": 0.0, "acquisition": 0.0, "evaluation": 0.0}
    start = time.perf_counter()
    bar = tqdm(total=budget, initial=len(trials), disable=not (progress and sys.stderr.isatty()), unit="eval")
    try:
        if pending:  # finish the batch that was being evaluated when the run stopped
            done = {t["trial"] for t in trials}
            todo = [p for p in pending if p["trial"] not in done]
            if todo:
                X = np.asarray([p["x"] for p in todo])
                new = evaluate(fun, X, todo[0]["trial"], executor=executor, timeout=timeout, on_outcome=record)
                trials += [o.to_json() for o in new]
            trials.sort(key=lambda t: t["trial"])
            pending_ids = {p["trial"] for p in pending}
            for t in trials:
                if t["trial"] in pending_ids:
                    _tell(opt, t)
            save([])
        while len(trials) < budget:
            t0 = time.perf_counter()
            first = opt.num_asked
            X = opt.ask(min(batch_size, budget - len(trials)))
            asked = time.perf_counter()
            save([{"trial": first + i, "x": x.tolist()} for i, x in enumerate(X)])
            outcomes = evaluate(fun, X, first, executor=executor, timeout=timeout, on_outcome=record)
            evaluated = time.perf_counter()
            for o in outcomes:
                _tell(opt, o.to_json())
            trials += [o.to_json() for o in outcomes]
            save([])
            seconds = time.perf_counter() - t0
            entry = {
                "iteration": len(history),
                "evaluations": len(trials),
                "best": _best(trials, ref_point),
                "seconds": seconds,
                "fit_seconds": opt.last_timings.get("fit", 0.0),
                "acquisition_seconds": opt.last_timings.get("acquisition", asked - t0),
                "evaluation_seconds": evaluated - asked,
            }
            history.append(entry)
            for k in totals:
                totals[k] += entry[f"{k}_seconds"]
            bar.set_postfix(best=f"{entry['best']:.6g}", s_per_it=f"{seconds:.2f}")
            bar.update(len(outcomes))
    finally:
        bar.close()
    timings = {"total": time.perf_counter() - start, **totals}
    return Result.from_trials(trials, opt.space.dim, history, timings)
