"""Progress bars for compiled loops.

A compiled ``lax.scan`` cannot update a bar between steps by itself; ``report(i)``
inserts a host callback every ``total // 100`` steps. ``i`` must be unbatched (the
loop counter, not a per-chain value) so the callback fires once per step, not once
per chain. With ``enabled=False`` nothing is inserted, so the compiled program is
the same as without a bar.
"""

import contextlib
import sys

import jax
from tqdm.auto import tqdm


def _is_interactive() -> bool:
    return sys.stderr.isatty() or "ipykernel" in sys.modules


@contextlib.contextmanager
def progress_callback(total: int, enabled: bool = True, desc: str = ""):
    """Yield ``report(i)`` to call inside a jitted loop body at step ``i`` (0-based)."""
    if not enabled or total <= 0:
        yield lambda i: None
        return
    bar = tqdm(total=total, desc=desc, disable=not _is_interactive() and not enabled, leave=True)
    rate = max(1, total // 100)

    def advance(i):
        done = min(int(i) + 1, total)
        if done > bar.n:  # several devices may report the same step
            bar.update(done - bar.n)

    def report(i):
        jax.lax.cond(i % rate == 0, lambda: jax.debug.callback(advance, i), lambda: None)

    try:
        yield report
        bar.update(total - bar.n)
    finally:
        bar.close()
