"""``kernels.get``/``kernels.resolve`` and the declared ``Kernel`` protocol (#17): one place maps
names to kernels, every kernel satisfies the protocol, and each tunable kernel declares its
optimal-scaling step size instead of being recognised by its class name."""

import pytest

from inference import kernels
from inference.mcmc import resolve_kernel
from inference.mutate import initial_step_size
from inference.pmmh import PseudoMarginalRWMH


def test_get_builds_the_named_kernel_with_its_options():
    kernel = kernels.get("nuts", max_tree_depth=5, target_accept=0.9)
    assert isinstance(kernel, kernels.NUTS)
    assert (kernel.max_tree_depth, kernel.target_accept) == (5, 0.9)
    assert kernels.get("hmc").step_size_jitter == 0.15  # "hmc" by name is jittered (kernels/hmc.py)


def test_unknown_names_and_objects_are_clear_errors():
    with pytest.raises(ValueError, match=r"\['hmc', 'mala', 'nuts', 'rwmh'\]"):
        kernels.get("metropolis")
    with pytest.raises(TypeError, match="init\\(\\) and step\\(\\)"):
        kernels.resolve(object())


@pytest.mark.parametrize(
    "kernel",
    [kernels.nuts(), kernels.hmc(), kernels.mala(), kernels.rwmh(), kernels.sgld(), kernels.sghmc()],
    ids=lambda k: type(k).__name__,
)
def test_every_kernel_satisfies_the_protocol(kernel):
    assert isinstance(kernel, kernels.Kernel)
    assert kernels.resolve(kernel) is kernel


def test_mcmc_keeps_its_old_name_for_resolution():
    assert resolve_kernel is kernels.resolve


@pytest.mark.parametrize(
    ("kernel", "expected"),
    [
        (kernels.rwmh(), 2.38 / 16**0.5),
        (kernels.mala(), 16 ** (-1 / 3)),
        (kernels.hmc(), 0.5 * 16 ** (-1 / 4)),
        (kernels.nuts(), 0.5 * 16 ** (-1 / 4)),
        (PseudoMarginalRWMH(), 2.38 / 16**0.5),
    ],
    ids=lambda v: type(v).__name__,
)
def test_initial_step_size_is_the_declared_optimal_scaling(kernel, expected):
    assert initial_step_size(kernel, 16) == pytest.approx(expected, rel=1e-12)
