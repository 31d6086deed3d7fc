"""The docstring examples are runnable and right (STYLE.md: Google style
with a runnable example)."""

import doctest
import importlib

import pytest

MODULES = ["keras_inception", "keras_inception.builder",
           "keras_inception.registry", "keras_inception.features",
           "keras_inception.imagenet", "keras_inception.macs",
           "keras_inception.inception_v1", "keras_inception.bn_inception",
           "keras_inception.inception_v2", "keras_inception.inception_v3",
           "keras_inception.inception_v4",
           "keras_inception.inception_resnet_v1",
           "keras_inception.inception_resnet_v2",
           "keras_inception.training", "keras_inception.datasets",
           "keras_inception.datasets.shapes", "keras_inception.data",
           "keras_inception.distribute", "keras_inception.runner",
           "keras_inception._io",
           "keras_inception.export", "keras_inception.serving",
           "keras_inception.artifacts"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{module} has no runnable example"
