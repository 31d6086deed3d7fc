"""What several test modules need, defined once: the command line in a
subprocess, the tiny embedded dataset, small and cached models."""

import functools
import os
import subprocess
import sys

import keras_inception

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Children import this checkout's package (not another installed copy).
CHILD_ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1",
                 PYTHONPATH=os.pathsep.join(
                     p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))

# Small settings for tests that only need a working network.
SMALL = dict(width_multiplier=0.25)


def cli(*args, timeout=900, **popen):
    """``keras-inception ARGS`` in a fresh interpreter; the finished
    ``subprocess.CompletedProcess`` (text stdout/stderr)."""
    popen.setdefault("env", CHILD_ENV)
    return subprocess.run([sys.executable, "-m", "keras_inception.cli",
                           *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **popen)


def run_cli(capsys, *argv):
    """``keras-inception ARGV`` in this process (no interpreter start-up,
    no TensorFlow import): ``(exit code, stdout, stderr)``, for the
    command line's argument errors and quick commands."""
    import logging

    from keras_inception.cli import main

    # main() sends the package's log to stderr and stops it propagating;
    # undo that after, so later tests' caplog still sees the records.
    log = logging.getLogger("keras_inception")
    saved = (list(log.handlers), log.level, log.propagate)
    try:
        code = main([str(a) for a in argv])
    finally:
        log.handlers[:], log.level, log.propagate = saved
    out, err = capsys.readouterr()
    return code, out, err


def cli_here(capsys, *argv):
    """:func:`run_cli` as a ``subprocess.CompletedProcess``, so a test reads
    it like :func:`cli`'s result."""
    code, out, err = run_cli(capsys, *argv)
    return subprocess.CompletedProcess(list(argv), code, out, err)


def small_size(name):
    """The smallest input side of a generation (its registry minimum)."""
    return keras_inception.get_model_info(name).min_size


def make_tiny_dataset(folder, config="tiny"):
    """Generates ``inception_shapes/<config>`` (default ``tiny``: 32 px,
    100 training and 50 validation images; ``64``: the embedded default)
    into the TFDS data folder ``folder``."""
    import tensorflow_datasets as tfds

    import keras_inception.data.shapes  # noqa: F401  registers the builder
    tfds.builder(f"inception_shapes/{config}",
                 data_dir=str(folder)).download_and_prepare()
    return str(folder)


@functools.lru_cache(maxsize=None)
def _cached(name, kwargs_items):
    return keras_inception.get_model(name, **dict(kwargs_items))


def cached_model(name, **kwargs):
    """``get_model(name, **kwargs)`` built once per test process: for
    tests that run or inspect a model but never change its weights."""
    return _cached(name, tuple(sorted(kwargs.items())))
