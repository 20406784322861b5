"""Keep XLA's CPU runtime out of a thread-pool deadlock (jaxlib 0.10, few cores).

XLA runs a batched LAPACK call (for example a ``vmap``-ped Cholesky, as in every Monte
Carlo acquisition over optimiser restarts) by splitting the batch over its intra-op
Eigen thread pool and waiting for the pieces. When as many such calls run at once as
the pool has threads (two on a 2-core machine), every worker waits for pieces that no
free worker can run, and the process hangs in ``block_until_ready`` with all threads
asleep. We hit it in BO runs with ``qlognei`` and with batches of 10 (native stacks:
both ``tf_XLAEigen`` workers in ``jax::ParallelBatchMap`` → ``BlockingCounter::Wait``);
others report the same signature (PyAutoLabs/PyAutoFit#1530, #1528).

``--xla_cpu_multi_thread_eigen=false`` takes the intra-op pool out of the picture and
removes the hang. It costs little here: XLA already runs the small matrix products of
our models on one thread (a 3×128 BNN gradient measured 2.0 ms with the pool and
1.8–2.3 ms without), and test and benchmark processes share the cores anyway.

XLA reads ``XLA_FLAGS`` once, when JAX creates its CPU backend (the first computation),
so the flag is added on import of ``inference`` or ``surrogates``, before anything runs.
A flag the user set already wins, and ``MODBAYES_XLA_FLAGS=keep`` leaves ``XLA_FLAGS``
untouched.
"""

import os

FLAG = "--xla_cpu_multi_thread_eigen=false"


def avoid_intra_op_deadlock() -> None:
    """Add ``FLAG`` to ``XLA_FLAGS`` unless the user chose a ``xla_cpu_multi_thread_eigen`` value."""
    if os.environ.get("MODBAYES_XLA_FLAGS") == "keep":
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {FLAG}".strip()
