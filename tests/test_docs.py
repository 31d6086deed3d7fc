"""The docstring examples are runnable and right (STYLE.md: Google style
with a runnable example), in every module of the package."""

import doctest
import importlib
import pkgutil

import pytest

import keras_inception

MODULES = ["keras_inception"] + sorted(
    m.name for m in pkgutil.walk_packages(keras_inception.__path__,
                                          "keras_inception."))


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
