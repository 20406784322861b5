"""The API reference is the docstrings: every public name of the three layers has its own."""

import inspect
import types

import pytest

import bayesnn
import inference
import surrogates

PUBLIC = [(module, name) for module in (inference, bayesnn, surrogates) for name in module.__all__]


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m.__name__}.{n}" for m, n in PUBLIC])
def test_public_name_has_its_own_docstring(module, name):
    obj = getattr(module, name)
    if not (isinstance(obj, types.ModuleType) or inspect.isclass(obj) or callable(obj)):
        pytest.skip(f"{name} is a constant ({type(obj).__name__}); its module documents it")
    # A class's own __doc__, not one inherited or generated: dataclasses and NamedTuples write
    # "Name(field, ...)" when the author wrote nothing.
    doc = (obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__) or ""
    assert doc.strip(), f"{module.__name__}.{name} has no docstring"
    generated = doc.startswith(f"{getattr(obj, '__name__', name)}(")
    assert not generated, f"{module.__name__}.{name} has only a generated docstring"
