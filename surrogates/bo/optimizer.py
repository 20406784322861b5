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

import surrogates
from inference.validation import check_positive_int
from surrogates.threads import single_threaded_blas

from . import acquisition as acquisitions
from .padding import pad
from .scalarize import augmented_chebyshev, sample_simplex
from .space import Space
from .step import StepState, ask_key, prepare_jit, propose_jit, step_keys, warm_start_params

FORMAT = "modbayes.optimizer/1"


def default_n_init(dim: int) -> int:
    """Size of the initial Sobol design: 2(d + 1), a common BoTorch/Ax choice."""
    return 2 * (dim + 1)


def initial_design_size(dim: int, budget: int) -> int:
    """``2(d + 1)``, but at most a third of the budget, so the model gets most evaluations."""
    return max(1, min(default_n_init(dim), budget // 3))


def sobol_design(dim: int, seed: int, start: int, end: int) -> np.ndarray:
    """Rows ``start:end`` of the run's scrambled Sobol sequence in ``[0, 1]^dim``: ``[end − start, dim]``."""
    sobol = qmc.Sobol(dim, scramble=True, seed=seed)
    return sobol.random_base2(max(0, int(np.ceil(np.log2(end)))))[start:end]


class Optimizer:
    """Bayesian optimisation by ask/tell (minimisation).

    Args:
        bounds: ``[d, 2]`` (low, high) rows, a list of ``space`` dimensions, or a ``Space``.
        surrogate: a registered surrogate name (``surrogates.names()``).
        acquisition: an acquisition name (``acquisition.names()``); for batches of
            q > 1, ``logei``/``ei`` are replaced by the joint ``qlogei``.
        seed: integer seed for the initial design and every later proposal.
        n_init: initial Sobol points before the model is used (default ``2(d+1)``; with a
            ``budget``, ``min(2(d+1), budget // 3)`` and at least 1: ``initial_design_size``).
        budget: the evaluations planned, if known; it only bounds the default ``n_init``.
        surrogate_options, acquisition_options: keyword options (JSON values).
        optimizer_options: for ``optimize_acqf`` (``raw_samples``, ``num_restarts``,
            ``num_steps``, ``learning_rate``).
    """

    def __init__(
        self,
        bounds,
        *,
        surrogate: str = "gp",
        acquisition: str = "logei",
        seed: int = 0,
        n_init: int | None = None,
        surrogate_options: dict | None = None,
        acquisition_options: dict | None = None,
        optimizer_options: dict | None = None,
        budget: int | None = None,
    ):
        self.space = Space.from_bounds(bounds)
        self.surrogate_name, self.surrogate_options = surrogate, dict(surrogate_options or {})
        self.surrogate = surrogates.get(surrogate, **self.surrogate_options)
        self.acquisition_name, self.acquisition_options = acquisition, dict(acquisition_options or {})
        acquisitions.get(acquisition, **self.acquisition_options)
        self.optimizer_options = dict(optimizer_options or {})
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.seed = int(seed)
        if n_init is not None:
            self.n_init = check_positive_int(n_init, "n_init")
        elif budget is not None:
            self.n_init = initial_design_size(self.space.dim, check_positive_int(budget, "budget"))
        else:
            self.n_init = default_n_init(self.space.dim)
        self.num_asked = 0
        self.X: list[list[float]] = []
        self.y: list = []
        self.failures: list[dict] = []
        # The last fit's hyperparameters (JSON lists), where the next fit starts (step.py).
        self.warm_params: dict | None = None
        self.last_timings: dict[str, float] = {}

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

        name = acquisitions.for_batch(self.acquisition_name, n)
        acquisition = acquisitions.get(name, **(self.acquisition_options if name == self.acquisition_name else {}))
        options = tuple(sorted(self.optimizer_options.items()))
        with single_threaded_blas():
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
            "surrogate": {
                "name": self.surrogate_name,
                "options": self.surrogate_options,
                "options_version": surrogates.OPTIONS_VERSION,
            },
            "acquisition": {"name": self.acquisition_name, "options": self.acquisition_options},
            "optimizer_options": self.optimizer_options,
            "n_init": self.n_init,
            "prng": {"seed": self.seed, "counter": self.num_asked, "rule": "fold_in(PRNGKey(seed), counter)"},
            "warm_start": self.warm_params,
        }
        if include_data:
            state["data"] = {"X": self.X, "y": self.y, "failures": self.failures}
        return state

    @classmethod
    def from_state_dict(cls, state: dict) -> "Optimizer":
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"state must be a {FORMAT!r} dictionary, got format {state.get('format')!r}")
        saved = state["surrogate"]
        surrogates.check_saved_options(saved["name"], saved["options"], saved.get("options_version", 1))
        opt = cls(
            Space.from_json(state["space"]),
            surrogate=state["surrogate"]["name"],
            surrogate_options=state["surrogate"]["options"],
            acquisition=state["acquisition"]["name"],
            acquisition_options=state["acquisition"]["options"],
            optimizer_options=state["optimizer_options"],
            seed=state["prng"]["seed"],
            n_init=state["n_init"],
        )
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
