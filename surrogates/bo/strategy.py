"""``Strategy``: what every model-based step of a BO run does, built and validated once.

    strategy = Strategy(surrogate="ibnn", acquisition="qlognei", optimizer_options={"num_restarts": 20})
    Optimizer(bounds, strategy=strategy, seed=0)
    minimize(fun, bounds, strategy=strategy, budget=50)
    minimize_compiled(fun, bounds, strategy=strategy, budget=50, seeds=range(8))

It holds the surrogate and its options, the acquisition and its options, the acquisition
optimiser's settings (``optimize_acqf``), the batch rule (``acquisition_for(q)``: analytic
EI/LogEI become the joint ``qlogei`` for q > 1) and the initial-design rule
(``initial_design_size``). Construction checks every name and option, before anything is
traced, and builds the surrogate and the acquisition once (``model``, ``acquisition_for``).

A ``Strategy`` is frozen and hashable, and equal strategies hash equal: it is the static
argument of the jitted proposal and the cache key of the compiled loop, so two runs with
the same settings share one compiled program. Options are JSON values (they are saved in
``state.json``); ``to_json``/``from_json`` round-trip them. This follows BoTorch's
``optimize_acqf(acq_function, ...)``, which receives built objects, never names.
"""

import dataclasses
import inspect
import json
from collections.abc import Iterator, Mapping

import surrogates
from inference.validation import check_positive_int

from . import acquisition as acquisitions
from .optimize_acqf import optimize_acqf


def _frozen_copy(value):
    """A JSON value with every list as a tuple (fresh dicts): hashable where a model keeps it
    as a jit static argument, and never the stored value itself."""
    if isinstance(value, list):
        return tuple(_frozen_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen_copy(v) for k, v in value.items()}
    return value


def _canonical(options: Mapping, name: str) -> str:
    try:
        return json.dumps(dict(options), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must hold JSON values (they are saved with the run): {e}") from e


class Options(Mapping):
    """A frozen, hashable mapping of JSON values, compared and hashed by its canonical JSON.

    Reading a value gives a fresh copy with lists as tuples, so nothing built from the
    options can change them, and a model that keeps one as a static argument can hash it.
    """

    __slots__ = ("_json", "_values")

    def __init__(self, options: Mapping | None = None, name: str = "options"):
        if options is None:
            options = {}
        if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
            raise TypeError(f"{name} must be a dict with string keys, got {options!r}")
        text = _canonical(options, name)
        object.__setattr__(self, "_json", text)
        object.__setattr__(self, "_values", json.loads(text))

    def __getitem__(self, key: str):
        return _frozen_copy(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(self._json)

    def __eq__(self, other) -> bool:
        if isinstance(other, Options):
            return self._json == other._json
        if not isinstance(other, Mapping):
            return NotImplemented
        try:
            return self._json == _canonical(other, "other")
        except ValueError:
            return False

    def __setattr__(self, name, value):
        raise AttributeError("Options are frozen")

    def __reduce__(self):
        return Options, (self._values,)

    def __repr__(self) -> str:
        return repr(self._values)

    def to_dict(self) -> dict:
        """A plain (deep) copy of the options, as JSON gives them back."""
        return json.loads(self._json)


# The settings optimize_acqf takes from a user, with their defaults (``around`` comes from the data).
_OPTIMIZER_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(optimize_acqf).parameters.items()
    if p.kind is p.KEYWORD_ONLY and name != "around"
}
OPTIMIZER_OPTIONS = frozenset(_OPTIMIZER_DEFAULTS)


# Settings whose documented "off" values a plain positivity check would refuse (``optimize_acqf``).
_ZERO_ALLOWED = {"around_samples": "no starts around the best points", "start_temperature": "uniform starts"}
_NONE_ALLOWED = {"start_temperature": "the best raw candidates as starts"}


def _check_optimizer_options(options: Mapping) -> None:
    """``ValueError``/``TypeError`` for an unknown setting, or a value not of its default's kind:
    an integer ≥ 1 for counts, a number > 0 for rates and widths (0 and ``None`` where
    ``optimize_acqf`` gives them a meaning, ``_ZERO_ALLOWED``, ``_NONE_ALLOWED``)."""
    unknown = sorted(set(options) - OPTIMIZER_OPTIONS)
    if unknown:
        raise ValueError(f"optimizer_options: unknown setting(s) {unknown}; known: {sorted(OPTIMIZER_OPTIONS)}")
    for name, value in options.items():
        label, zero_ok = f"optimizer_options[{name!r}]", name in _ZERO_ALLOWED
        if value is None and name in _NONE_ALLOWED:
            continue
        if isinstance(_OPTIMIZER_DEFAULTS[name], int):
            check_positive_int(value, label, minimum=0 if zero_ok else 1)
            continue
        number = not isinstance(value, bool) and isinstance(value, int | float)
        if not number or not (value >= 0 if zero_ok else value > 0):
            kind = "a non-negative number" if zero_ok else "a positive number"
            raise ValueError(f"{label} must be {kind}, got {value!r}")


def default_n_init(dim: int) -> int:
    """Size of the initial Sobol design: 2(d + 1), a common BoTorch/Ax choice."""
    return 2 * (dim + 1)


@dataclasses.dataclass(frozen=True)
class Strategy:
    """Surrogate, acquisition, optimiser settings and initial-design rule of a BO run.

    Args:
        surrogate: a registered surrogate name (``surrogates.names()``).
        acquisition: an acquisition name (``acquisition.names()``).
        surrogate_options, acquisition_options: keyword options of each (JSON values).
        optimizer_options: ``optimize_acqf`` settings (``OPTIMIZER_OPTIONS``: ``raw_samples``,
            ``num_restarts``, ``num_steps``, ``learning_rate``, ...).
        n_init: initial Sobol points before the model is used; ``None`` for the rule of
            ``initial_design_size``.
    """

    surrogate: str = "gp"
    acquisition: str = "logei"
    surrogate_options: Mapping = Options()
    acquisition_options: Mapping = Options()
    optimizer_options: Mapping = Options()
    n_init: int | None = None

    def __post_init__(self):
        for name in ("surrogate", "acquisition"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a registered name (str), got {getattr(self, name)!r}")
        for name in ("surrogate_options", "acquisition_options", "optimizer_options"):
            object.__setattr__(self, name, Options(getattr(self, name), name))
        _check_optimizer_options(self.optimizer_options)
        if self.n_init is not None:
            object.__setattr__(self, "n_init", check_positive_int(self.n_init, "n_init"))
        # Built once here (unknown names and options fail now, not at the first model-based ask).
        object.__setattr__(self, "_model", surrogates.get(self.surrogate, **self.surrogate_options))
        built = acquisitions.get(self.acquisition, **self.acquisition_options)
        object.__setattr__(self, "_acquisitions", {self.acquisition: built})

    @property
    def model(self):
        """The surrogate, built from ``surrogate`` and ``surrogate_options``."""
        return self._model

    def acquisition_for(self, q: int):
        """The acquisition for batches of ``q`` points: the configured one, or its joint batch
        counterpart (``acquisition.for_batch``, built with its defaults) when q > 1 needs one."""
        name = acquisitions.for_batch(self.acquisition, q)
        if name not in self._acquisitions:
            self._acquisitions[name] = acquisitions.get(name)
        return self._acquisitions[name]

    def initial_design_size(self, dim: int, budget: int | None = None) -> int:
        """``n_init`` if set; else ``2(d + 1)``, at most a third of ``budget`` (if known) and at least 1."""
        if self.n_init is not None:
            return self.n_init
        if budget is None:
            return default_n_init(dim)
        return max(1, min(default_n_init(dim), check_positive_int(budget, "budget") // 3))

    def to_json(self) -> dict:
        """The strategy as JSON values (``from_json`` inverts it)."""
        return {
            "surrogate": {
                "name": self.surrogate,
                "options": self.surrogate_options.to_dict(),
                "options_version": surrogates.OPTIONS_VERSION,
            },
            "acquisition": {"name": self.acquisition, "options": self.acquisition_options.to_dict()},
            "optimizer_options": self.optimizer_options.to_dict(),
            "n_init": self.n_init,
        }

    @classmethod
    def from_json(cls, state: dict, *, version: int = 2) -> "Strategy":
        """A strategy from ``to_json``'s dictionary, or (``version=1``) from the same keys at the
        top of a ``modbayes.optimizer/1`` state, written before ``Strategy`` existed. Version 1
        kept only the resolved ``n_init`` (the optimizer restores it), so the rule is ``None``."""
        saved = state["surrogate"]
        surrogates.check_saved_options(saved["name"], saved["options"], saved.get("options_version", 1))
        return cls(
            surrogate=saved["name"],
            acquisition=state["acquisition"]["name"],
            surrogate_options=saved["options"],
            acquisition_options=state["acquisition"]["options"],
            optimizer_options=state.get("optimizer_options", {}),
            n_init=state.get("n_init") if version >= 2 else None,
        )


# The keyword arguments that spell a strategy out one by one (the API before ``Strategy``): its
# fields; ``None`` means not given (the Strategy's default).
_SPELLED_OUT = tuple(field.name for field in dataclasses.fields(Strategy))


def resolve(strategy: Strategy | None, **spelled_out) -> Strategy:
    """``strategy``, or one built from the keyword arguments; ``TypeError`` if both are given."""
    unknown = sorted(set(spelled_out) - set(_SPELLED_OUT))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {unknown}; a strategy's settings are {list(_SPELLED_OUT)}")
    given = {k: v for k, v in spelled_out.items() if v is not None}
    if strategy is None:
        return Strategy(**given)
    if not isinstance(strategy, Strategy):
        raise TypeError(f"strategy must be a surrogates.bo.Strategy, got {type(strategy).__name__}")
    if given:
        raise TypeError(f"give the run's settings either as strategy= or as {sorted(given)}, not both")
    return strategy
