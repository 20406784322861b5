"""Progress bars for compiled loops.

A compiled ``lax.scan`` cannot update a bar between steps by itself; ``report(i)``
inserts a host callback every ``total // 100`` steps. ``i`` must be unbatched (the
loop counter, not a per-chain value) so the callback fires once per step, not once
per chain. With ``enabled=False`` nothing is inserted, so the compiled program is
the same as without a bar.
"""

import contextlib
import itertools
from collections.abc import Callable

import jax
from tqdm.auto import tqdm


@contextlib.contextmanager
def _bar(total: int, enabled: bool, desc: str):
    """Yield ``advance(i)`` that moves a tqdm bar to step ``i`` (0-based), or ``None`` when disabled."""
    if not enabled or total <= 0:
        yield None
        return
    bar = tqdm(total=total, desc=desc, leave=True)

    def advance(i):
        done = min(int(i) + 1, total)
        if done > bar.n:  # several devices may report the same step
            bar.update(done - bar.n)

    try:
        yield advance
        bar.update(total - bar.n)
    finally:
        bar.close()


def _every(total: int) -> int:
    return max(1, total // 100)


@contextlib.contextmanager
def progress_callback(total: int, enabled: bool = True, desc: str = ""):
    """Yield ``report(i)`` to call inside a jitted loop body at step ``i`` (0-based)."""
    with _bar(total, enabled, desc) as advance:
        if advance is None:
            yield lambda i: None
            return
        rate = _every(total)

        def report(i):
            jax.lax.cond(i % rate == 0, lambda: jax.debug.callback(advance, i), lambda: None)

        yield report


# Bars of programs compiled once and called many times (``progress_handle``), by handle.
_BARS: dict[int, Callable[[int], None]] = {}
_HANDLES = itertools.count()


@contextlib.contextmanager
def progress_handle(total: int, enabled: bool = True, desc: str = ""):
    """Yield an integer handle for ``report_progress``; ``-1`` when disabled.

    For a cached jitted program: ``report(i)`` from ``progress_callback`` closes over its
    bar, so a program built with it is a new program on every call. The handle is passed
    in as an ordinary argument instead, and the program finds the bar through it.
    """
    with _bar(total, enabled, desc) as advance:
        if advance is None:
            yield -1
            return
        handle = next(_HANDLES)
        _BARS[handle] = advance
        try:
            yield handle
        finally:
            del _BARS[handle]


def _advance_bar(handle, i):
    advance = _BARS.get(int(handle))
    if advance is not None:
        advance(i)


def report_progress(handle: jax.Array, i: jax.Array, total: int) -> None:
    """Inside a jitted loop: advance the bar of ``handle`` (a traced argument) to step ``i``
    (unbatched, as for ``progress_callback``); ``total`` is static."""
    rate = _every(total)
    jax.lax.cond(i % rate == 0, lambda: jax.debug.callback(_advance_bar, handle, i), lambda: None)
