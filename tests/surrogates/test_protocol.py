"""The surrogate protocol is declared, not probed (#17): which registered surrogates can run in
the compiled loop (``TraceableSurrogate``) and which warm-start their fits (``WarmStartSurrogate``)."""

import pytest

import surrogates
from surrogates.bo.step import traceable_fit, warm_start_params
from surrogates.protocol import Surrogate, TraceableSurrogate, WarmStartSurrogate


@pytest.mark.parametrize("name", surrogates.names())
def test_every_registered_surrogate_is_traceable(name):
    model = surrogates.get(name)
    assert isinstance(model, Surrogate) and isinstance(model, TraceableSurrogate)
    assert traceable_fit(model) == model.fit_traced


def test_only_gp_warm_starts_and_its_start_has_the_input_dimension():
    warm = [name for name in surrogates.names() if isinstance(surrogates.get(name), WarmStartSurrogate)]
    assert warm == ["gp"]
    params = warm_start_params(surrogates.get("gp"), 4)
    assert params["log_lengthscale"].shape == (4,)
    assert warm_start_params(surrogates.get("gp", warm_start=False), 4) is None
    assert warm_start_params(surrogates.get("ibnn"), 4) is None


def test_a_fit_without_a_traceable_form_is_a_clear_error():
    class Eager:
        def fit(self, key, X, y, *, mask=None):
            raise NotImplementedError

    with pytest.raises(ValueError, match="no pure-JAX fit"):
        traceable_fit(Eager())
