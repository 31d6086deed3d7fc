"""Shared fixtures: full-size models are built once per test process."""

import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

import keras_inception  # noqa: E402

# Small settings for tests that only need a working network.
SMALL = dict(width_multiplier=0.25)


def small_size(name):
    """The smallest input of a generation that tests use (its minimum)."""
    return keras_inception.get_model_info(name).min_size


@functools.lru_cache(maxsize=None)
def _full_model(name, kwargs_items):
    return keras_inception.get_model(name, **dict(kwargs_items))


@pytest.fixture(scope="session")
def full_model():
    """``full_model(name, **kwargs)``: a default-size model, built once."""
    def get(name, **kwargs):
        return _full_model(name, tuple(sorted(kwargs.items())))
    return get


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """A TFDS data folder holding the generated ``inception_shapes/tiny``
    (32 px, 100 training and 50 validation images)."""
    import tensorflow_datasets as tfds
    folder = str(tmp_path_factory.mktemp("tfds"))
    tfds.builder("inception_shapes/tiny",
                 data_dir=folder).download_and_prepare()
    return folder


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
