"""Counting XLA compilations, for tests that a configuration compiles once and is then reused."""

import jax


def backend_compilations(run) -> int:
    """XLA compilations while ``run()`` executes."""
    events = []
    listener = lambda event, duration, **kw: events.append(event)  # noqa: E731
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        run()
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    return events.count("/jax/core/compile/backend_compile_duration")
