"""Surrogates by name: ``get(name, **options)`` and ``names()``.

Each surrogate module registers its class with ``@register("name")``; callers
(the BO loop, the CLI) never import a concrete class.
"""

from collections.abc import Callable

from .protocol import Surrogate

_REGISTRY: dict[str, Callable[..., Surrogate]] = {}


def register(name: str):
    """Class decorator: make ``factory(**options)`` available as ``get(name, **options)``."""

    def decorate(factory):
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"surrogate name {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return decorate


def names() -> list[str]:
    """The registered surrogate names, sorted."""
    return sorted(_REGISTRY)


def get(name: str, **options) -> Surrogate:
    """The surrogate registered as ``name``, configured with ``options``.

    Raises ``ValueError`` naming the known surrogates for an unknown ``name``.
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"surrogate must be one of {names()}, got {name!r}")
    return _REGISTRY[name](**options)
