"""The ``"machine"`` record every benchmark writes next to its numbers (shared by the scripts here).

    from machine import machine_info        # benchmarks run as scripts: this directory is on sys.path
    start = machine_info()                  # at the start: load average and date
    ...
    results["machine"] = machine_info(start, botorch=botorch.__version__)   # at the end

Timings on a shared 2-core machine depend on what else ran, so the load average is
recorded at the start and, when ``start`` is given, again at the end.
"""

import datetime
import os
import platform


def machine_info(start: dict | None = None, **versions) -> dict:
    """Platform, CPU count, JAX version and devices, load average and UTC date, plus ``versions``.

    With ``start`` (an earlier ``machine_info()``), its load average and date become the
    ``*_start`` fields and the current ones the ``*_end`` fields.
    """
    import jax

    now = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "jax": jax.__version__,
        "devices": [str(d) for d in jax.devices()],
        **versions,
    }
    load = list(os.getloadavg())
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    if start is None:
        return {**now, "load_average_start": load, "date": date}
    return {**now, "load_average_start": start["load_average_start"], "load_average_end": load, "date": start["date"]}
