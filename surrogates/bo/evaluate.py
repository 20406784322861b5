"""Evaluate the objective on a batch of points: in-process or through any Executor.

An evaluation that raises, returns a non-finite value, or is not done within
``timeout`` seconds (counted from submission) becomes a failed ``Outcome`` with
its error message; it never reaches the surrogate's data as a value. Outcomes
are reported through ``on_outcome`` as soon as each one is known, so the caller
can persist it before anything else happens.
"""

import concurrent.futures
import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One evaluated trial: ``y`` is a float (a list for several objectives) or ``None`` if it failed."""

    trial: int
    x: list[float]
    y: float | list[float] | None
    error: str | None
    seconds: float

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _timed_call(fun: Callable, x: np.ndarray):
    start = time.perf_counter()
    value = fun(x)
    return value, time.perf_counter() - start


def _as_value(value) -> tuple[float | list[float] | None, str | None]:
    """The objective's return value as a float (or list of floats), or an error message."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as e:
        return None, f"objective returned {type(value).__name__}, not a number: {e}"
    if arr.ndim > 1 or arr.size == 0:
        return None, f"objective returned an array of shape {arr.shape}; expected a float or a vector"
    if not np.all(np.isfinite(arr)):
        return None, f"objective returned a non-finite value: {arr.tolist()}"
    return (float(arr.reshape(())) if arr.size == 1 else arr.tolist()), None


def _outcome(trial, x, result=None, exc=None, seconds=math.nan) -> Outcome:
    if exc is not None:
        return Outcome(trial, x.tolist(), None, f"{type(exc).__name__}: {exc}", seconds)
    value, seconds = result
    y, error = _as_value(value)
    return Outcome(trial, x.tolist(), y, error, seconds)


def evaluate(
    fun: Callable,
    X: np.ndarray,
    first_trial: int,
    *,
    executor: concurrent.futures.Executor | None = None,
    timeout: float | None = None,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Evaluate ``fun`` at each row of ``X: [q, d]``; outcomes in trial order."""
    if executor is None and timeout is None:
        outcomes = []
        for i, x in enumerate(X):
            try:
                outcome = _outcome(first_trial + i, x, result=_timed_call(fun, x))
            except Exception as exc:  # noqa: BLE001 -- any failure of user code is recorded
                outcome = _outcome(first_trial + i, x, exc=exc)
            on_outcome(outcome)
            outcomes.append(outcome)
        return outcomes

    if executor is not None and not isinstance(executor, concurrent.futures.Executor):
        if hasattr(executor, "get_executor"):  # a dask.distributed Client
            executor = executor.get_executor()
        else:
            raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    own = executor is None
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(X)) if own else executor
    try:
        futures = {pool.submit(_timed_call, fun, x): i for i, x in enumerate(X)}
        deadline = None if timeout is None else time.monotonic() + timeout
        done_outcomes: dict[int, Outcome] = {}
        pending = set(futures)
        while pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, pending = concurrent.futures.wait(pending, left, concurrent.futures.FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                i = futures[future]
                exc = future.exception()
                outcome = _outcome(first_trial + i, X[i], result=None if exc else future.result(), exc=exc)
                on_outcome(outcome)
                done_outcomes[i] = outcome
        for future in pending:  # timed out
            future.cancel()
            i = futures[future]
            outcome = Outcome(
                first_trial + i, X[i].tolist(), None, f"TimeoutError: no result within {timeout} s", float(timeout)
            )
            on_outcome(outcome)
            done_outcomes[i] = outcome
    finally:
        if own:
            pool.shutdown(wait=False, cancel_futures=True)
    return [done_outcomes[i] for i in range(len(X))]
