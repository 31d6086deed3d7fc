"""The command line as a newcomer meets it: help and argument errors without
TensorFlow, no TensorFlow start-up lines on stderr, our own device line,
and ``--verbose`` showing everything."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import CHILD_ENV, ROOT
from keras_inception.cli.parser import build_parser
from keras_inception.utils.quiet import StderrFilter, quiet_tensorflow

# Any line of TensorFlow's C++ loggers or absl's, written independently of
# keras_inception.utils.quiet: absl (``I1207 03:22:45.1 1940 file.cc:31]``,
# its preamble), TensorFlow's older format, and CUDA's start-up complaints.
TF_LOG_LINE = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] "
    r"|absl::InitializeLog|cuda|cuInit|cpu_feature_guard|oneDNN",
    re.IGNORECASE)

# Runs the installed command's code path (``python -m keras_inception.cli``
# with the process's own argv) and reports which heavy modules it loaded.
PROBE = textwrap.dedent("""
    import json, runpy, sys
    sys.argv = ["keras-inception", *json.loads(sys.argv[1])]
    code = 0
    try:
        runpy.run_module("keras_inception.cli", run_name="__main__")
    except SystemExit as exit:
        code = exit.code
    loaded = sorted(m for m in ("tensorflow", "keras", "tf_keras", "jax",
                                "torch") if m in sys.modules)
    with open(REPORT, "w") as f:
        json.dump({"code": code, "loaded": loaded}, f)
""")


def _env(**extra):
    env = {k: v for k, v in CHILD_ENV.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(extra)
    return env


def _probe(tmp_path, argv):
    report = tmp_path / "report.json"
    code = PROBE.replace("REPORT", repr(str(report)))
    result = subprocess.run([sys.executable, "-c", code, json.dumps(argv)],
                            capture_output=True, text=True, timeout=120,
                            env=_env(), stdin=subprocess.DEVNULL, cwd=ROOT)
    assert report.exists(), result.stderr[-3000:]
    return json.loads(report.read_text()), result


def _subcommands():
    return sorted(next(a for a in build_parser()._actions
                       if a.dest == "command").choices)


SUBCOMMANDS = _subcommands()


def test_every_subcommand_is_probed():
    """The list the help test runs over is the parser's own."""
    assert {"models", "summary", "train", "evaluate", "export", "predict",
            "tune", "launch"} <= set(SUBCOMMANDS)


@pytest.mark.parametrize("command", [None] + SUBCOMMANDS)
def test_help_loads_no_tensorflow(tmp_path, command):
    argv = ([command] if command else []) + ["--help"]
    report, result = _probe(tmp_path, argv)
    assert report["code"] == 0, result.stderr
    assert "usage: keras-inception" in result.stdout
    assert report["loaded"] == [], (
        f"`keras-inception {' '.join(argv)}` imported {report['loaded']}")
    assert result.stderr == ""


@pytest.mark.parametrize("argv,says", [
    (["frobnicate"], "invalid choice"),
    (["train", "--epochs", "many"], "--epochs"),
    (["train", "--progress", "fancy"], "--progress"),
    (["export", "--format", "onnx"], "--checkpoint"),
    (["export", "--model", "inception_v3"], "--weights"),
    (["summary", "inception_v1", "--plot", "arch.jpg"], ".png"),
    (["summary", "inception_v1", "--dpi", "0"], "--dpi"),
    (["launch", "--workers", "2"], "after `--`"),
    (["launch", "--workers", "2", "--", "tune"], "`launch` runs `train`"),
    (["predict", "--artifact", "x.onnx", "--top", "0", "a.jpg"], "top"),
    (["predict", "--artifact", "x.onnx"], "give image files or --dataset"),
    (["predict", "--artifact", "x.onnx", "--dataset", "default", "a.jpg"],
     "not both"),
    (["predict", "--artifact", "x.onnx", "--dataset", "default", "--count",
      "0"], "--count"),
], ids=lambda v: "_".join(v) if isinstance(v, list) else None)
def test_argument_errors_answer_without_tensorflow(tmp_path, argv, says):
    """Errors that need no model: one clear line, exit code 2, no
    traceback, and TensorFlow never loaded."""
    report, result = _probe(tmp_path, argv)
    assert report["code"] == 2, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert report["loaded"] == [], report


def _demo_train_flags():
    """The ``DEMO_TRAIN`` flags of the Makefile (``make demo``)."""
    text = open(os.path.join(ROOT, "Makefile")).read()
    match = re.search(r"^DEMO_TRAIN = (.*?)(?<!\\)\n", text, re.M | re.S)
    return match.group(1).replace("\\\n", " ").split()


def _override(flags, **values):
    """``flags`` with ``--name value`` replaced (or appended)."""
    flags = list(flags)
    for name, value in values.items():
        flag = "--" + name.replace("_", "-")
        if flag in flags:
            flags[flags.index(flag) + 1] = str(value)
        else:
            flags += [flag, str(value)]
    return flags


def test_demo_training_without_a_terminal_is_quiet(tmp_path, tiny_dir):
    """``make demo``'s training command, for one epoch of the tiny data,
    with no terminal and no TF_CPP_MIN_LOG_LEVEL set: stderr holds our
    lines only -- the device used, one line per epoch with images/s --
    and no line of TensorFlow's C++ or absl loggers."""
    flags = _override(_demo_train_flags(), epochs=1, warmup_epochs=0,
                      dataset="inception_shapes/tiny", data_dir=tiny_dir,
                      output=tmp_path / "demo", batch_size=16)
    assert "--model" in flags and "--recipe" in flags
    result = subprocess.run(
        [sys.executable, "-m", "keras_inception.cli", "train", *flags],
        capture_output=True, text=True, timeout=600, env=_env(),
        stdin=subprocess.DEVNULL, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    noise = [line for line in lines if TF_LOG_LINE.search(line)]
    assert noise == [], noise
    assert any(line.startswith("keras-inception: training on ")
               for line in lines), lines
    epochs = [line for line in lines if line.startswith("epoch 1/1: ")]
    assert len(epochs) == 1, lines
    assert re.search(r"\d+ images in [\d.]+ s \([\d.]+ images/s\)",
                     epochs[0])
    assert "val_top1" in epochs[0]
    assert "\r" not in result.stderr       # no bar redrawn into a log
    assert result.stdout.startswith("run ")


def test_verbose_shows_tensorflow_lines(tmp_path):
    """``--verbose``: TensorFlow's own start-up lines are not hidden (on a
    machine without a GPU it always prints some)."""
    result = subprocess.run(
        [sys.executable, "-m", "keras_inception.cli", "--verbose", "summary",
         "inception_v1", "--input-size", "32", "--width-multiplier", "0.25"],
        capture_output=True, text=True, timeout=300, env=_env(),
        stdin=subprocess.DEVNULL, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    quiet = subprocess.run(
        [sys.executable, "-m", "keras_inception.cli", "summary",
         "inception_v1", "--input-size", "32", "--width-multiplier", "0.25"],
        capture_output=True, text=True, timeout=300, env=_env(),
        stdin=subprocess.DEVNULL, cwd=ROOT)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert [line for line in quiet.stderr.splitlines()
            if TF_LOG_LINE.search(line)] == []
    assert any(TF_LOG_LINE.search(line)
               for line in result.stderr.splitlines()), result.stderr


FILTER_CHILD = textwrap.dedent("""
    import os, sys
    from keras_inception.utils.quiet import StderrFilter
    f = StderrFilter().start()
    for line in sys.argv[1:]:
        os.write(2, (line + "\\n").encode())     # as C++ code writes
    print("from python", file=sys.stderr)
    f.stop()
    os.write(2, b"after stop\\n")
""")


def test_stderr_filter_drops_noise_and_keeps_the_rest():
    """Written to descriptor 2 as TensorFlow's C++ code does: start-up
    info and the no-GPU errors are dropped; a real error, plain text,
    Python's own writes and anything after ``stop`` pass unchanged and in
    order."""
    written = [
        "WARNING: All log messages before absl::InitializeLog() is called "
        "are written to STDERR",
        "I0000 00:00:1796613975.766358    1940 cudart_stub.cc:31] Could not "
        "find cuda drivers on your machine, GPU will not be used.",
        "a line of a child process",
        "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
        "E0000 00:00:1796613992.597303    1946 cuda_platform.cc:52] failed "
        "call to cuInit: INTERNAL: CUDA error",
        "2026-12-07 03:22:45.123456: W tensorflow/core/x.cc:10] old style",
        "E1207 03:22:45.123456   77 bfc_allocator.cc:485] Allocator ran out "
        "of memory trying to allocate 1.00GiB",
    ]
    result = subprocess.run([sys.executable, "-c", FILTER_CHILD, *written],
                            capture_output=True, text=True, timeout=60,
                            env=_env(), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    # Python's writes bypass the filter, so they may come before the
    # filtered lines; each path keeps its own order.
    assert [line for line in lines if line != "from python"] == [
        "a line of a child process",
        "E1207 03:22:45.123456   77 bfc_allocator.cc:485] Allocator ran out "
        "of memory trying to allocate 1.00GiB",
        "after stop"]
    assert lines.count("from python") == 1


def test_stderr_filter_restores_the_streams():
    """In this process: after ``stop`` descriptor 2 and ``sys.stderr`` are
    what they were (a second start and stop works too)."""
    before_stream = sys.stderr
    before = os.fstat(2)
    for _ in range(2):
        with StderrFilter():
            assert sys.stderr is not before_stream
        assert sys.stderr is before_stream
        after = os.fstat(2)
        assert (after.st_ino, after.st_dev) == (before.st_ino, before.st_dev)


@pytest.mark.parametrize("kind", ["memory", "another file"])
def test_stderr_filter_leaves_a_stderr_that_writes_elsewhere(
        kind, tmp_path, monkeypatch):
    """A ``sys.stderr`` that does not write to descriptor 2 (Jupyter's
    kernel sends it to the notebook) keeps receiving Python's writes while
    descriptor 2 is filtered."""
    elsewhere = (io.StringIO() if kind == "memory" else
                 open(tmp_path / "stderr.txt", "w+"))
    monkeypatch.setattr(sys, "stderr", elsewhere)
    with StderrFilter():
        assert sys.stderr is elsewhere
        print("a warning for the notebook", file=sys.stderr)
    assert sys.stderr is elsewhere
    elsewhere.seek(0)
    assert elsewhere.read() == "a warning for the notebook\n"
    elsewhere.close()


def test_tensorflows_python_notes_are_dropped_and_its_warnings_kept():
    """In Jupyter TensorFlow sets its Python logger to INFO ("Assets written
    to ..." on every SavedModel); after quiet_tensorflow() only warnings
    and above pass, whatever level it is set to."""
    log = logging.getLogger("tensorflow")
    level, filters = log.level, list(log.filters)
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append
    stderr_filter = quiet_tensorflow()
    try:
        quiet_tensorflow().stop()           # a second call adds nothing
        log.setLevel(logging.INFO)          # as TensorFlow sets it there
        log.addHandler(handler)
        log.info("Assets written to: model/assets")
        log.warning("a real warning")
        assert [r.getMessage() for r in seen] == ["a real warning"]
        assert len(log.filters) == len(filters) + 1
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.filters[:] = filters
        if stderr_filter is not None:
            stderr_filter.stop()
