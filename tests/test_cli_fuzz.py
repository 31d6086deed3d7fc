"""Every subcommand's arguments, broken one at a time by hypothesis.

Each case starts from a command line that would run and breaks one
argument: a number out of range, a value of the wrong type, an unknown
name, a missing path, a folder where a file belongs, a file of the wrong
kind. Whatever hypothesis draws, the command must end with exit code 2 and
exactly one line on stderr that names the argument -- never a traceback,
and before any work (nothing is trained, prepared or loaded).
"""

import os
import string

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.helpers import run_cli


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    """Things to point arguments at: a text file, a folder, a fake run."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "notes.txt").write_text("not a model, not an image")
    (root / "notes.jpg").write_text("not an image")
    (root / "empty.weights.h5").write_bytes(b"")
    (root / "page.onnx").write_text("<html>404</html>")
    (root / "page.tflite").write_text("<html>404</html>")
    (root / "folder").mkdir()
    run = root / "run"          # enough for predict to read the kind
    run.mkdir()
    (run / "run_config.json").write_text("{}")
    (root / "image.png").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00"
        b"\x08\x08\x02\x00\x00\x00")
    return root


def below(limit):
    return st.integers(-10 ** 6, limit - 1).map(str)


def not_positive_float():
    return st.floats(-1e6, 0, allow_nan=False).map(repr)


def outside_unit(closed_at_one=True):
    """Floats outside (0, 1] (or [0, 1) when ``closed_at_one`` is False)."""
    low = st.floats(-1e3, 0, allow_nan=False,
                    exclude_max=not closed_at_one)
    high = st.floats(1, 1e3, allow_nan=False, exclude_min=closed_at_one)
    return st.one_of(low, high).map(repr)


WORDS = st.text(string.ascii_letters, min_size=1, max_size=12)
NOT_A_NUMBER = WORDS.filter(lambda w: w.lower() not in (
    "inf", "nan", "infinity", "e"))
UNKNOWN = WORDS.map(lambda w: f"no_such_{w}")


def missing(root):
    return WORDS.map(lambda w: str(root / "missing" / w))


# (command, base argv, flag broken, strategy of bad values, the word the
# line must contain; None: the flag itself)
def cases(root):
    run, out = str(root / "run"), str(root / "out")
    tfds = ["--data-dir", str(root / "tfds")]
    train = ["--output", out, *tfds]
    tune = ["--output", out, *tfds]
    export = ["--checkpoint", str(root / "ckpt"), "--output", out]
    predict = ["--artifact", run, str(root / "image.png")]
    yield "models", [], None, UNKNOWN, "Unknown model"
    yield "summary", [], None, UNKNOWN, "Unknown model"
    yield "diagrams", ["--output", out], None, UNKNOWN, "Unknown model"
    for flag, values in (("--input-size", below(32)),
                         ("--dpi", below(1)),
                         ("--width-multiplier", not_positive_float()),
                         ("--plot", WORDS.map(lambda w: w + ".jpg")),
                         ("--input-size", NOT_A_NUMBER),
                         ("--width-multiplier", NOT_A_NUMBER)):
        yield "summary", ["inception_v1"], flag, values, None
    for flag, values in (
            ("--epochs", below(1)), ("--batch-size", below(1)),
            ("--steps-per-execution", below(1)), ("--seed", below(0)),
            ("--backup-every", below(0)), ("--image-size", below(75)),
            ("--width-multiplier", not_positive_float()),
            ("--learning-rate", not_positive_float()),
            ("--warmup-epochs", st.floats(-1e3, -1e-3).map(repr)),
            ("--dropout-rate", st.floats(-1e3, -1e-3).map(repr)),
            ("--validation-fraction", outside_unit(closed_at_one=False)),
            ("--min-crop-area", outside_unit()),
            ("--central-fraction", outside_unit()),
            ("--model", UNKNOWN), ("--recipe", UNKNOWN),
            ("--strategy", UNKNOWN), ("--precision", UNKNOWN),
            ("--augment", UNKNOWN), ("--jit-compile", UNKNOWN),
            ("--block-counts", st.lists(st.integers(-5, 0), min_size=1,
                                        max_size=3).map(
                lambda v: ",".join(map(str, v)))),
            ("--dataset", missing(root)),
            ("--dataset", st.just(str(root / "notes.txt"))),
            ("--epochs", NOT_A_NUMBER), ("--batch-size", NOT_A_NUMBER),
            ("--learning-rate", NOT_A_NUMBER)):
        yield "train", ["--model", "inception_v3", *train], flag, values, \
            None
    for flag, values in (
            ("--checkpoint", missing(root)),
            ("--checkpoint", st.sampled_from([
                str(root / "notes.txt"), str(root / "empty.weights.h5"),
                str(root / "folder")])),
            ("--batch-size", below(1))):
        base = [] if flag == "--checkpoint" else ["--checkpoint", run]
        yield "evaluate", base, flag, values, None
    for flag, values in (
            ("--format", UNKNOWN), ("--quantize", UNKNOWN),
            ("--version", below(1)), ("--opset", st.one_of(
                below(13), st.integers(19, 10 ** 6).map(str))),
            ("--max-pixels", below(1)), ("--calibration-images", below(1)),
            ("--evaluation-images", below(1)),
            ("--output", st.just(str(root / "notes.txt"))),
            ("--version", NOT_A_NUMBER)):
        yield "export", export, flag, values, None
    yield "export", [], "--checkpoint", missing(root), None
    yield "export", ["--output", out], "--weights", missing(root), None
    for flag, values in (
            ("--artifact", st.one_of(missing(root), st.sampled_from([
                str(root / "notes.txt"), str(root / "empty.weights.h5"),
                str(root / "page.onnx"), str(root / "page.tflite"),
                str(root / "folder")]))),
            ("--top", below(1))):
        base = [str(root / "image.png")] if flag == "--artifact" else predict
        yield "predict", base, flag, values, None
    yield "predict", ["--artifact", run], None, st.one_of(
        missing(root), st.sampled_from([str(root / "notes.jpg"),
                                        str(root / "folder")])), "image"
    for flag, values in (
            ("--max-trials", below(1)), ("--epochs", below(1)),
            ("--batch-size", below(1)), ("--seed", below(0)),
            ("--max-gmacs", not_positive_float()),
            ("--max-params", not_positive_float()),
            ("--tuner", UNKNOWN), ("--model", UNKNOWN),
            ("--search", UNKNOWN), ("--fixed", UNKNOWN),
            ("--search", WORDS.map(lambda w: f"width_multiplier={w}:1")),
            ("--max-trials", NOT_A_NUMBER)):
        yield "tune", tune, flag, values, None
    yield "launch", ["--", "train"], "--workers", below(1), None
    convert = {"--model": "inception_v4",
               "--checkpoint": str(root / "missing" / "v4.safetensors"),
               "--output": str(root / "out" / "v4.weights.h5")}
    for flag, values in (
            ("--model", UNKNOWN), ("--source", UNKNOWN),
            ("--checkpoint", st.one_of(
                missing(root).map(lambda p: p + ".safetensors"),
                st.just(str(root / "notes.txt")))),
            ("--output", st.just(str(root / "notes.txt")))):
        base = [x for k, v in convert.items() if k != flag for x in (k, v)]
        yield "convert", base, flag, values, None
    for flag, values in (
            ("--models", UNKNOWN), ("--image-size", below(75)),
            ("--width-multiplier", not_positive_float()),
            ("--batch-size", below(1)), ("--repeats", below(1)),
            ("--warmup", below(1)),
            ("--round-seconds", not_positive_float()),
            ("--measures", UNKNOWN), ("--ceiling", below(1)),
            ("--dataset", missing(root)),
            ("--images", st.one_of(missing(root),
                                   st.just(str(root / "notes.txt")))),
            ("--plot", st.just(str(root / "notes.txt"))),
            ("--repeats", NOT_A_NUMBER)):
        yield "benchmark", ["--models", "inception_v3"], flag, values, None
    runtimes = ["--runtimes", "--models", "inception_v1"]
    for flag, values in (
            ("--threads", below(1)), ("--agreement-images", below(1)),
            ("--calibration-images", below(1)), ("--classes", below(1)),
            ("--weights", st.one_of(missing(root).map(
                lambda p: p + ".weights.h5"),
                st.just(str(root / "notes.txt")))),
            ("--checkpoint", missing(root)),
            ("--image-size", below(8))):
        yield "benchmark", runtimes, flag, values, None
    yield ("benchmark", ["--models", "inception_v1", "--runtimes"], None,
           UNKNOWN, "--runtimes must be one of")
    yield ("benchmark", ["--models", "inception_v1", "--threads"], None,
           st.just("2"), "applies to --runtimes only")


@settings(max_examples=800, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(data=st.data())
def test_every_broken_argument_ends_in_one_line_naming_it(paths, capsys,
                                                         data):
    all_cases = list(cases(paths))
    command, base, flag, values, says = data.draw(st.sampled_from(
        all_cases), label="case")
    value = data.draw(values, label="value")
    argv = [command, *base] + ([flag, value] if flag else [value])
    event(f"{command} {flag or says}")
    try:
        code, out, err = run_cli(capsys, *argv)
    except SystemExit as exit_:        # argparse's own usage errors
        code, err = exit_.code, capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (argv, err)
    assert len(lines) == 1, (argv, err)
    assert "Traceback" not in err
    assert lines[0].startswith(f"keras-inception {command}: error: "), err
    assert (says or flag) in lines[0], (argv, lines[0])
    assert not os.path.exists(paths / "out" / "summary.json")


def test_the_cases_cover_every_subcommand(paths):
    from keras_inception.cli.parser import build_parser
    parser = build_parser()
    commands = {a for a in parser._subparsers._group_actions[0].choices}
    assert {case[0] for case in cases(paths)} == commands
