"""Shared fixtures: full-size models are built once per test process."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The converters' tests import timm, whose torch._dynamo loads triton; triton
# and TensorFlow both carry LLVM, and triton's static initialisers crash the
# process (SIGSEGV in llvm::DebugCounter) when TensorFlow's LLVM came first.
# Loading triton before Keras avoids it (0.2 s; absent without torch).
try:
    import triton  # noqa: F401,E402
except ImportError:
    pass

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


# Session-scoped so that one worker builds it once however its tests are
# interleaved with other modules; every test that uses it carries
# xdist_group("trained") and is not parametrized (see test_export's
# test_export_cli_errors_write_nothing), so one worker runs them all.
@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A run folder of the shipped trained GoogLeNet
    (:func:`tests.trained_fixtures.make_trained_run`)."""
    from tests.trained_fixtures import make_trained_run
    return make_trained_run(str(tmp_path_factory.mktemp("trained")))


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.hookimpl(trylast=True)   # after pytest-xdist has added the suffix
def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` first, then the xdist-group check.

    The sort is stable: with two workers the longest tests start early and
    the short ones fill the end, instead of one worker finishing a long test
    alone (no module-scoped fixture is used by a test marked slow, so no
    such fixture is set up twice by the split).

    Under ``--dist loadgroup`` every test marked ``xdist_group`` must carry
    its group in its node id (pytest-xdist's scheduling key), so that one
    worker runs the group and builds its session fixtures once. pytest 9
    ignores the suffix xdist sets (hence ``pytest<9`` in setup.cfg): fail
    loudly rather than silently build the trained fixtures twice."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if not getattr(config.option, "loadgroup", False) and \
            getattr(config.option, "dist", "no") != "loadgroup":
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            raise pytest.UsageError(
                f"{item.nodeid}: xdist_group had no effect with this "
                "pytest/pytest-xdist; see setup.cfg")
