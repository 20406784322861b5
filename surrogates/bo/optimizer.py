"""Ask/tell Bayesian optimisation: the state of one BO run, by hand or driven by the loop.

    opt = Optimizer(bounds, surrogate="gp", acquisition="logei", seed=0)
    X = opt.ask(2)               # [2, d] points to evaluate next
    opt.tell(X, y)               # y: [2] (or [2, m] for several objectives)
    opt.save("state.json")       # plain JSON; Optimizer.load(...) proposes exactly the same next point

Each model-based ``ask`` encodes X into the unit cube, pads the data to a power-of-two
bucket (``padding.py``) and runs the shared BO step (``step.py``): standardise y, fit the
surrogate through the protocol (``surrogates.get``) and maximise the acquisition on device.
The PRNG key of ask number k is ``fold_in(PRNGKey(seed), k)``: the whole random
state is the pair (seed, k), which is what ``save`` writes.
"""

import json
import os
import pathlib
import time

import jax
import numpy as np
from scipy.stats import qmc

from inference.validation import check_positive_int
from surrogates.threads import single_threaded_blas

from .padding import pad
from .scalarize import augmented_chebyshev, sample_simplex
from .space import Space
from .step import StepState, ask_key, prepare_jit, propose_jit, step_keys, warm_start_params
from .strategy import Strategy, resolve

# Version 2 keeps the run's Strategy under "strategy"; version 1 (read too) had its keys at the top.
FORMAT = "modbayes.optimizer/2"
_READABLE = ("modbayes.optimizer/1", FORMAT)


def sobol_design(dim: int, seed: int, start: int, end: int) -> np.ndarray:
    """Rows ``start:end`` of the run's scrambled Sobol sequence in ``[0, 1]^dim``: ``[end − start, dim]``."""
    sobol = qmc.Sobol(dim, scramble=True, seed=seed)
    return sobol.random_base2(max(0, int(np.ceil(np.log2(end)))))[start:end]


class Optimizer:
    """Bayesian optimisation by ask/tell (minimisation).

    Args:
        bounds: ``[d, 2]`` (low, high) rows, a list of ``space`` dimensions, or a ``Space``.
        strategy: a ``Strategy`` (surrogate, acquisition, optimiser settings, ``n_init``);
            or spell it out with the keyword arguments below (not both).
        surrogate: a registered surrogate name (``surrogates.names()``; default ``gp``).
        acquisition: an acquisition name (``acquisition.names()``; default ``logei``); for
            batches of q > 1, ``logei``/``ei`` are replaced by the joint ``qlogei``.
        seed: integer seed for the initial design and every later proposal.
        n_init: initial Sobol points before the model is used (default ``2(d+1)``; with a
            ``budget``, ``min(2(d+1), budget // 3)`` and at least 1: ``Strategy.initial_design_size``).
        budget: the evaluations planned, if known; it only bounds the default ``n_init``.
        surrogate_options, acquisition_options: keyword options (JSON values).
        optimizer_options: for ``optimize_acqf`` (``raw_samples``, ``num_restarts``,
            ``num_steps``, ``learning_rate``).
    """

    def __init__(
        self,
        bounds,
        *,
        strategy: Strategy | None = None,
        surrogate: str | None = None,
        acquisition: str | None = None,
        seed: int = 0,
        n_init: int | None = None,
        surrogate_options: dict | None = None,
        acquisition_options: dict | None = None,
        optimizer_options: dict | None = None,
        budget: int | None = None,
    ):
        self.space = Space.from_bounds(bounds)
        self.strategy = resolve(
            strategy,
            surrogate=surrogate,
            acquisition=acquisition,
            surrogate_options=surrogate_options,
            acquisition_options=acquisition_options,
            optimizer_options=optimizer_options,
            n_init=n_init,
        )
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.seed = int(seed)
        self.n_init = self.strategy.initial_design_size(self.space.dim, budget)
        self.num_asked = 0
        self.X: list[list[float]] = []
        self.y: list = []
        self.failures: list[dict] = []
        # The last fit's hyperparameters (JSON lists), where the next fit starts (step.py).
        self.warm_params: dict | None = None
        self.last_timings: dict[str, float] = {}

    # The strategy's parts under their names from before ``Strategy`` (read-only).
    surrogate = property(lambda self: self.strategy.model)
    surrogate_name = property(lambda self: self.strategy.surrogate)
    acquisition_name = property(lambda self: self.strategy.acquisition)
    surrogate_options = property(lambda self: self.strategy.surrogate_options.to_dict())
    acquisition_options = property(lambda self: self.strategy.acquisition_options.to_dict())
    optimizer_options = property(lambda self: self.strategy.optimizer_options.to_dict())

    # -- asking -------------------------------------------------------------------------------------

    def ask(self, n: int = 1) -> np.ndarray:
        """The next ``n`` points to evaluate, ``[n, d]`` in the original space."""
        n = check_positive_int(n, "n")
        if self.num_asked < self.n_init or not self.y:
            X = self._initial_design(n)
        else:
            X = self._model_based(n)
        self.num_asked += n
        return X

    def _initial_design(self, n: int) -> np.ndarray:
        start = time.perf_counter()
        U = sobol_design(self.space.cube_dim, self.seed, self.num_asked, self.num_asked + n)
        self.last_timings = {"fit": 0.0, "acquisition": time.perf_counter() - start}
        return self.space.from_unit(U)

    def step_state(self) -> StepState:
        """The data as the shared step sees it: encoded inputs, (scalarised) values with NaN
        for failed evaluations, padded to a power-of-two bucket (``padding.py``)."""
        Y = np.asarray(self.y, float)
        if Y.ndim == 2:  # several objectives: a fresh random ParEGO scalarisation per ask
            rng = np.random.default_rng([self.seed, self.num_asked])
            Y = augmented_chebyshev(Y, sample_simplex(rng, Y.shape[1]))
        U = self.space.to_unit(np.asarray(self.X))
        if self.failures:
            U_fail = self.space.to_unit(np.asarray([f["x"] for f in self.failures]))
            U, Y = np.vstack([U, U_fail]), np.concatenate([Y, np.full(len(U_fail), np.nan)])
        U_pad, y_pad, mask = pad(U, Y)
        return StepState(U_pad, y_pad, mask)  # numpy: jitted calls take it without an extra transfer program

    def _model_based(self, n: int) -> np.ndarray:
        # The shared step (step.py), run as three jitted calls so that fit and acquisition
        # are timed apart and surrogates without a traceable fit work too.
        start = time.perf_counter()
        state = self.step_state()
        keys = step_keys(ask_key(self.seed, self.num_asked))
        prepared = prepare_jit(state)
        init = self.warm_params or warm_start_params(self.surrogate, self.space.cube_dim)
        warm = {} if init is None else {"init": init}
        posterior = self.surrogate.fit(keys[0], state.U, prepared.z, mask=state.mask, **warm)
        if warm:
            self.warm_params = jax.tree.map(lambda a: np.asarray(a).tolist(), posterior.params)
        jax.block_until_ready(posterior)
        fitted = time.perf_counter()

        with single_threaded_blas():
            acquisition, options = self.strategy.acquisition_for(n), self.strategy.optimizer_options
            U_new = propose_jit(acquisition, n, self.space.cube_dim, options, keys, posterior, state, prepared)
            U_new = np.asarray(U_new)
        self.last_timings = {"fit": fitted - start, "acquisition": time.perf_counter() - fitted}
        return self.space.from_unit(U_new)

    # -- telling ------------------------------------------------------------------------------------

    def tell(self, X, y) -> None:
        """Record evaluations: ``X: [n, d]``, ``y: [n]`` (or ``[n, m]``).

        Rows whose y is not finite are recorded as failures (see ``tell_failure``).
        """
        X = self.space.validate_points(X, "X")
        y = np.asarray(y, float)
        if y.ndim == 0 or (X.shape[0] == 1 and y.ndim == 1):  # one point: a float, or one vector
            y = y.reshape(1, *y.shape)
        if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have shape [{X.shape[0]}] or [{X.shape[0]}, m], got {y.shape}")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if self.y and np.shape(self.y[0]) != y.shape[1:]:
            raise ValueError(f"y has {y.shape[1:]} values per point, earlier observations had {np.shape(self.y[0])}")
        for xi, yi in zip(X, y, strict=True):
            if np.all(np.isfinite(yi)):
                self.X.append(xi.tolist())
                self.y.append(yi.tolist() if yi.ndim else float(yi))
            else:
                self.tell_failure(xi, f"non-finite value {yi.tolist()}")

    def tell_failure(self, x, error: str) -> None:
        """Record a failed evaluation at ``x: [d]``; it never enters the data as a value."""
        x = self.space.validate_points(x, "x")[0]
        self.failures.append({"x": x.tolist(), "error": str(error)})

    # -- persistence --------------------------------------------------------------------------------

    def state_dict(self, *, include_data: bool = True) -> dict:
        """Everything needed to continue exactly where this optimizer is (JSON values only)."""
        state = {
            "format": FORMAT,
            "space": self.space.to_json(),
            "strategy": self.strategy.to_json(),
            "n_init": self.n_init,
            "prng": {"seed": self.seed, "counter": self.num_asked, "rule": "fold_in(PRNGKey(seed), counter)"},
            "warm_start": self.warm_params,
        }
        if include_data:
            state["data"] = {"X": self.X, "y": self.y, "failures": self.failures}
        return state

    @classmethod
    def from_state_dict(cls, state: dict) -> "Optimizer":
        """The optimizer ``state_dict`` wrote (either format version)."""
        if not isinstance(state, dict) or state.get("format") not in _READABLE:
            got = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"state must be a {FORMAT!r} dictionary, got format {got!r}")
        if state["format"] == FORMAT and not isinstance(state.get("strategy"), dict):
            raise ValueError(f"a {FORMAT!r} state needs a 'strategy' dictionary (Strategy.to_json)")
        # Version 1 kept the strategy's keys at the top of the state.
        version = int(state["format"].rsplit("/", 1)[1])
        strategy = Strategy.from_json(state["strategy"] if version >= 2 else state, version=version)
        opt = cls(Space.from_json(state["space"]), strategy=strategy, seed=state["prng"]["seed"])
        opt.n_init = check_positive_int(state["n_init"], "n_init")
        opt.num_asked = int(state["prng"]["counter"])
        opt.warm_params = state.get("warm_start")
        data = state.get("data", {"X": [], "y": [], "failures": []})
        opt.X, opt.y, opt.failures = list(data["X"]), list(data["y"]), list(data["failures"])
        return opt

    def save(self, path) -> None:
        """Write the state to ``path`` as JSON (atomically)."""
        path = pathlib.Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.state_dict()), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> "Optimizer":
        """An optimizer from a file written by ``save``."""
        try:
            state = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON: {e}") from e
        return cls.from_state_dict(state)
