"""The one place modbayes imports ArviZ, and the one switch between ArviZ 0.x and 1.x.

ArviZ 1.x (Python >= 3.12) is a different library: results are an ``xarray.DataTree`` instead
of an ``InferenceData``, ``from_dict`` takes one ``{group: {variable: array}}`` dict, ``loo``
reports ``elpd``/``p`` instead of ``elpd_loo``/``p_loo``, ``summary`` defaults to an 89% ETI,
``bfmi`` returns a tree and ``plot_trace`` became ``plot_trace_dist``. Everything in modbayes
(and its tests and examples) that depends on the difference goes through the functions here;
both majors are supported (``ARVIZ_1`` says which is installed).

ArviZ 0.22+ prints a ``FutureWarning`` about its 1.x refactor on the first import of each day
(a stamp file in the user's cache), so a fresh machine or CI saw it on every ``modbayes run``
(#16). It is about ArviZ's own future API, not something a modbayes user can act on, so the
import here ignores exactly that warning (category ``FutureWarning``, module ``arviz``,
message "ArviZ is undergoing") and nothing else, and only when the user set no warning
options of their own: under ``python -W ...`` or ``PYTHONWARNINGS`` their settings apply.
The filter lives inside ``catch_warnings``, so the process's filters are left as they were.
"""

import sys
import warnings
from importlib.metadata import version
from typing import Any, NamedTuple

import numpy as np

if sys.warnoptions:
    import arviz as az
else:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning, module="arviz")
        import arviz as az

ARVIZ_1 = int(version("arviz").split(".")[0]) >= 1


def from_groups(groups: dict[str, dict[str, np.ndarray]], attrs: dict[str, Any] | None = None):
    """ArviZ's container for ``groups``: ``{group: {variable: array}}``, arrays ``[chains, draws, ...]``
    (``observed_data``: no sample axes). An ``InferenceData`` on ArviZ 0.x, a ``DataTree`` on 1.x;
    ``attrs`` go on the root and on every group, where both versions' tools look for them."""
    data = az.from_dict(groups) if ARVIZ_1 else az.from_dict(**groups)
    for target in [data] + [data[group] for group in groups]:
        target.attrs.update(attrs or {})
    return data


def group_names(data) -> list[str]:
    """The groups of an ``InferenceData`` or a ``DataTree`` (``["posterior", "sample_stats", ...]``)."""
    return list(data.children) if ARVIZ_1 else list(data.groups())


def summary(data, **kwargs):
    """``arviz.summary``; on 1.x with 0.x's default interval (94% HDI) unless ``kwargs`` say otherwise,
    so that a summary reads the same on both."""
    if ARVIZ_1:
        kwargs = {"ci_kind": "hdi", "ci_prob": 0.94} | kwargs
    return az.summary(data, **kwargs)


class LOO(NamedTuple):
    """PSIS-LOO (``arviz.loo``) under one set of names: ``elpd``, its ``se``, the effective number of
    parameters ``p``, ``pareto_k: [observations]`` and ``n_data_points``."""

    elpd: float
    se: float
    p: float
    pareto_k: np.ndarray
    n_data_points: int


def loo(data) -> LOO:
    """PSIS-LOO of ``data``'s ``log_likelihood`` group (ArviZ's ``loo(data, pointwise=True)``)."""
    result = az.loo(data, pointwise=True)
    elpd, p = (result.elpd, result.p) if ARVIZ_1 else (result.elpd_loo, result.p_loo)
    pareto_k = np.asarray(result.pareto_k).ravel()
    return LOO(float(elpd), float(result.se), float(p), pareto_k, int(result.n_data_points))


def bfmi(data) -> np.ndarray:
    """Bayesian fraction of missing information per chain, ``[chains]`` (needs ``sample_stats.energy``)."""
    result = az.bfmi(data)
    return np.asarray(result["energy"] if ARVIZ_1 else result)


def with_group(data, name: str, variables: dict[str, np.ndarray]):
    """``data`` with one more group ``name`` (e.g. ``posterior_predictive``): ``{variable: [chains, draws, ...]}``."""
    if not ARVIZ_1:
        data.add_groups({name: variables})
        return data
    data[name] = az.from_dict({name: variables})[name]
    return data


def plot_trace(data, var_names=None, compact: bool = True):
    """Trace and marginal density per variable: ``plot_trace`` on 0.x, ``plot_trace_dist`` on 1.x."""
    return (az.plot_trace_dist if ARVIZ_1 else az.plot_trace)(data, var_names=var_names, compact=compact)


def plot_ppc(data, num_samples: int = 50):
    """Observed data against ``num_samples`` posterior-predictive replications, each in its own
    figure: ``plot_ppc`` on 0.x, ``plot_ppc_dist`` on 1.x."""
    if ARVIZ_1:
        return az.plot_ppc_dist(data, num_samples=num_samples)
    return az.plot_ppc(data, num_pp_samples=num_samples, random_seed=0)


__all__ = [
    "ARVIZ_1",
    "LOO",
    "az",
    "bfmi",
    "from_groups",
    "group_names",
    "loo",
    "plot_ppc",
    "plot_trace",
    "summary",
    "with_group",
]
