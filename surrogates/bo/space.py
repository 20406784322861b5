"""Search spaces: real, integer and categorical dimensions, and the unit-cube encoding.

The surrogate and the acquisition optimiser only ever see the unit cube. Reals are
scaled linearly; an integer with k values occupies one coordinate split into k
equal cells; a categorical with k choices is one-hot encoded on k coordinates and
decoded by argmax. Proposals are decoded and re-encoded before the surrogate sees
them, so the model is only conditioned on valid points (Garrido-Merchán &
Hernández-Lobato, "Dealing with categorical and integer-valued variables in
Bayesian optimization with Gaussian processes", Neurocomputing 2020).
"""

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Real:
    """A continuous dimension ``[low, high]``."""

    low: float
    high: float
    width = 1


@dataclasses.dataclass(frozen=True)
class Integer:
    """An integer dimension ``{low, ..., high}``."""

    low: int
    high: int
    width = 1


@dataclasses.dataclass(frozen=True)
class Categorical:
    """A categorical dimension with choices ``0, ..., num_choices - 1`` (one-hot in the cube)."""

    num_choices: int

    @property
    def width(self) -> int:
        return self.num_choices


Dimension = Real | Integer | Categorical
_KINDS = {"real": Real, "integer": Integer, "categorical": Categorical}


def _check_dimension(i: int, dim: Dimension) -> None:
    if isinstance(dim, Categorical):
        if int(dim.num_choices) != dim.num_choices or dim.num_choices < 2:
            raise ValueError(f"bounds[{i}]: a categorical dimension needs an integer num_choices >= 2, got {dim}")
        return
    low, high = dim.low, dim.high
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"bounds[{i}] must be finite, got ({low}, {high})")
    if not low < high:
        raise ValueError(f"bounds[{i}]: the lower bound must be below the upper bound, got ({low}, {high})")
    if isinstance(dim, Integer) and (int(low) != low or int(high) != high):
        raise ValueError(f"bounds[{i}]: integer bounds must be whole numbers, got ({low}, {high})")


@dataclasses.dataclass(frozen=True)
class Space:
    """A product of dimensions; ``X: [n, dim]`` in the original space, ``U: [n, cube_dim]`` in the cube."""

    dims: tuple[Dimension, ...]

    def __post_init__(self):
        if len(self.dims) == 0:
            raise ValueError("bounds must describe at least one dimension")
        for i, dim in enumerate(self.dims):
            _check_dimension(i, dim)

    @classmethod
    def from_bounds(cls, bounds) -> "Space":
        """A space from a ``Space``, a sequence of dimensions / ``(low, high)`` pairs, or an array ``[d, 2]``."""
        if isinstance(bounds, Space):
            return bounds
        is_dim = lambda b: isinstance(b, Real | Integer | Categorical)
        if isinstance(bounds, list | tuple) and any(is_dim(b) for b in bounds):
            return cls(tuple(b if is_dim(b) else Real(*map(float, b)) for b in bounds))
        try:
            arr = np.asarray(bounds, dtype=float)
        except (TypeError, ValueError) as e:
            msg = f"bounds must be an array of shape [d, 2] (one (low, high) row per dimension): {e}"
            raise ValueError(msg) from None
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"bounds must have shape [d, 2] (one (low, high) row per dimension), got {arr.shape}")
        return cls(tuple(Real(float(lo), float(hi)) for lo, hi in arr))

    @property
    def dim(self) -> int:
        return len(self.dims)

    @property
    def cube_dim(self) -> int:
        return sum(d.width for d in self.dims)

    @property
    def is_continuous(self) -> bool:
        return all(isinstance(d, Real) for d in self.dims)

    @property
    def bounds(self) -> np.ndarray:
        """``[dim, 2]`` lower and upper values (categoricals: ``0, num_choices - 1``)."""
        rows = [(0, d.num_choices - 1) if isinstance(d, Categorical) else (d.low, d.high) for d in self.dims]
        return np.asarray(rows, dtype=float)

    def to_unit(self, X) -> np.ndarray:
        """Encode ``X: [n, dim]`` into the cube: ``[n, cube_dim]``."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        cols = []
        for j, d in enumerate(self.dims):
            x = X[:, j]
            if isinstance(d, Real):
                cols.append(((x - d.low) / (d.high - d.low))[:, None])
            elif isinstance(d, Integer):
                cols.append(((x - d.low + 0.5) / (d.high - d.low + 1))[:, None])
            else:
                cols.append(np.eye(d.num_choices)[x.astype(int)])
        return np.concatenate(cols, axis=1)

    def from_unit(self, U) -> np.ndarray:
        """Decode ``U: [n, cube_dim]`` (clipped to the cube) into valid points ``[n, dim]``."""
        U = np.clip(np.atleast_2d(np.asarray(U, dtype=float)), 0.0, 1.0)
        X, start = np.empty((U.shape[0], self.dim)), 0
        for j, d in enumerate(self.dims):
            u = U[:, start : start + d.width]
            if isinstance(d, Real):
                X[:, j] = d.low + u[:, 0] * (d.high - d.low)
            elif isinstance(d, Integer):
                X[:, j] = np.minimum(d.low + np.floor(u[:, 0] * (d.high - d.low + 1)), d.high)
            else:
                X[:, j] = np.argmax(u, axis=1)
            start += d.width
        return X

    def validate_points(self, X, name: str = "X") -> np.ndarray:
        """``X`` as a float array ``[n, dim]``, or ``ValueError`` naming ``name``."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValueError(f"{name} must have shape [n, {self.dim}], got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name} must be finite")
        return X

    def to_json(self) -> list[dict]:
        out = []
        for d in self.dims:
            kind = next(k for k, v in _KINDS.items() if isinstance(d, v))
            out.append({"type": kind, **dataclasses.asdict(d)})
        return out

    @classmethod
    def from_json(cls, data: list[dict]) -> "Space":
        return cls(tuple(_KINDS[d["type"]](**{k: v for k, v in d.items() if k != "type"}) for d in data))
