"""Shared fixtures: full-size models are built once per test process."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

from tests.helpers import cached_model, make_tiny_dataset  # noqa: E402


@pytest.fixture(scope="session")
def full_model():
    """``full_model(name, **kwargs)``: a default-size model, built once."""
    return cached_model


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """A TFDS data folder holding the generated ``inception_shapes/tiny``
    (32 px, 100 training and 50 validation images), made once per test
    process for every module."""
    return make_tiny_dataset(tmp_path_factory.mktemp("tfds"))


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def pytest_collection_modifyitems(items):
    """Refuse parametrized tests in an xdist group: pytest-xdist 3.8 under
    pytest 9 does not give them the group's suffix, so ``--dist loadgroup``
    sends them to another worker, which then builds the group's
    session fixtures again."""
    for item in items:
        if (item.get_closest_marker("xdist_group")
                and getattr(item, "callspec", None) is not None):
            raise pytest.UsageError(
                f"{item.nodeid}: a parametrized test cannot carry "
                "xdist_group; loop over the cases inside one test")
