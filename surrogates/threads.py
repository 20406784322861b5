"""Run small dense linear algebra on one BLAS thread.

On CPU, XLA hands triangular solves and factorisations to the OpenBLAS that ships
with scipy. For the matrices of a BO run (tens to hundreds of rows) its worker
threads cost more to wake than they save, and on a busy machine every wake-up
waits for a scheduler tick: a 64×64 solve took 16 ms with two threads and 0.04 ms
with one on the 2-core CI machine. The limit is scoped (``threadpoolctl``) and
undone on exit, so the caller's own numpy code keeps its threads.
"""

import functools

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> ThreadpoolController:
    # Scanning the loaded libraries takes milliseconds; do it once (scipy's OpenBLAS,
    # the one XLA uses, is loaded by ``import jax`` already).
    return ThreadpoolController()


def single_threaded_blas():
    """Context manager: one BLAS thread inside, the previous setting restored after."""
    return _controller().limit(limits=1, user_api="blas")
