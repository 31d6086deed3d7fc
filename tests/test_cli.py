"""The ``keras-inception`` command line, run in-process through ``main``."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import keras_inception
from keras_inception import cli
from keras_inception.utils import plotting
from keras_inception.models.macs import count_macs
from tests.generations import GENERATIONS
from tests.helpers import run_cli
from tests.reference_figures import PARAMS_AND_MACS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL_SUMMARY = ["summary", "inception_v1", "--input-size", "64",
                 "--width-multiplier", "0.25"]
HAVE_GRAPHVIZ = (shutil.which("dot") is not None
                 and plotting.graphviz_available())


def _run(capsys, *argv):
    return run_cli(capsys, *argv)


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------

def test_models_table(capsys, full_model):
    """Each row read back as numbers: the model's own parameter count and
    multiply-adds (count_macs) to the printed precision, the published
    figures of tests/reference_figures.py, and '-' where nothing is
    published (Inception-v2's parameters)."""
    names = ["inception_v1", "inception_v2"]
    rc, out, err = _run(capsys, "models", *names)
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split()[0] == "model"
    assert "params (M)" in lines[0] and "published (M)" in lines[0]
    assert set(lines[1].replace(" ", "")) == {"-"}
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == names
    assert err == ""            # answered from the shipped table
    for name in names:
        model = full_model(name)  # keras_inception.get_model(name), cached
        _, ref_params, _, ref_gmacs, _ = PARAMS_AND_MACS[name]
        (shown, params, published, gmacs, published_gmacs, default, minimum,
         error) = rows[name]
        assert shown == name
        assert float(params) == pytest.approx(model.count_params() / 1e6,
                                              abs=0.005)
        assert float(gmacs) == pytest.approx(count_macs(model) / 1e9,
                                             abs=0.005)
        if ref_params is None:
            assert published == "-"
        else:
            assert float(published) == pytest.approx(ref_params / 1e6,
                                                      abs=0.005)
        assert float(published_gmacs) == pytest.approx(ref_gmacs, abs=0.005)
        size = model.input_shape[1]
        assert int(default) == size
        assert int(minimum) == GENERATIONS[name].min_size
        assert 0 < float(error) < 50


def test_models_unknown_name(capsys):
    rc, out, err = _run(capsys, "models", "resnet50")
    assert rc == 2
    assert "resnet50" in err
    for name in keras_inception.list_models():
        assert name in err
    assert "Traceback" not in err + out


# --------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------

def test_summary_prints_keras_summary(capsys):
    rc, out, err = _run(capsys, *SMALL_SUMMARY)
    assert rc == 0, err
    assert "inception_5b" in out
    assert "Total params" in out
    # --input-size reached the builder: the input layer is 64x64x3.
    assert "64, 64, 3" in out


def test_summary_unknown_model(capsys):
    rc, out, err = _run(capsys, "summary", "resnet50")
    assert rc == 2
    assert "resnet50" in err
    for name in keras_inception.list_models():
        assert name in err
    assert "Traceback" not in err + out
    assert out == ""


def test_summary_input_below_minimum(capsys):
    rc, out, err = _run(capsys, "summary", "inception_v1", "--input-size",
                        "16")
    assert rc == 2
    assert "32" in err
    assert "Traceback" not in err


def test_summary_input_size_zero_is_refused(capsys):
    # `--input-size 0` is not a size; it must not silently fall back to the
    # default 224x224 input.
    rc, out, err = _run(capsys, "summary", "inception_v1", "--input-size",
                        "0", "--width-multiplier", "0.25")
    assert rc == 2, ("--input-size 0 was accepted; summary printed for "
                     "input " + ("224x224" if "224, 224, 3" in out else "?"))


def test_summary_bad_width_multiplier(capsys):
    rc, out, err = _run(capsys, "summary", "inception_v1",
                        "--width-multiplier", "0")
    assert rc == 2
    # The library's `width_multiplier`, named as the user typed it.
    assert "--width-multiplier must be > 0" in err


@pytest.mark.parametrize("argv", [[], ["summary"], ["frobnicate"],
                                  ["summary", "inception_v1",
                                   "--input-size", "big"]])
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    # One line: the error and where the options are listed, not argparse's
    # usage block.
    assert err.count("\n") == 1 and "error: " in err
    assert err.rstrip().endswith("--help lists the options)")


# --------------------------------------------------------------------------
# summary --plot
# --------------------------------------------------------------------------

@pytest.mark.skipif(not HAVE_GRAPHVIZ,
                    reason="Graphviz `dot` (and pydot) not installed; "
                           "e.g. `sudo apt-get install graphviz`")
def test_summary_plot_writes_png(capsys, tmp_path):
    path = tmp_path / "arch.png"
    rc, out, err = _run(capsys, *SMALL_SUMMARY, "--plot", str(path))
    assert rc == 0, err
    assert "inception_5b" in out
    assert str(path) in out
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1024
    # Written atomically: no temporary file left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch.png"]


@pytest.mark.skipif(not HAVE_GRAPHVIZ,
                    reason="Graphviz `dot` (and pydot) not installed; "
                           "e.g. `sudo apt-get install graphviz`")
def test_plot_file_permissions_follow_umask(tmp_path):
    # The diagram `--plot` writes is a normal output file: its mode should
    # follow the umask like any file the user creates, not keep the 0600 of
    # the private temporary file it is written through. (A two-layer model
    # keeps this fast; the path is the same as the CLI's.)
    import keras

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    umask = os.umask(0o022)
    try:
        path = plotting.plot_architecture(model, tmp_path / "sub" / "a.png")
    finally:
        os.umask(umask)
    path = pathlib.Path(path)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def _no_graphviz_available(monkeypatch):
    monkeypatch.setattr(plotting, "graphviz_available", lambda: False)


def _no_dot_on_path(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(plotting.shutil, "which",
                        lambda cmd, *a, **k: None if cmd == "dot"
                        else real_which(cmd, *a, **k))


def _no_pydot(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)  # import -> ImportError


@pytest.mark.parametrize("simulate", [_no_graphviz_available,
                                      _no_dot_on_path, _no_pydot],
                         ids=["graphviz_available", "which_dot", "pydot"])
def test_summary_plot_without_graphviz(capsys, tmp_path, monkeypatch,
                                       simulate):
    simulate(monkeypatch)
    assert not plotting.graphviz_available() or \
        simulate is _no_graphviz_available
    path = tmp_path / "arch.png"
    rc, out, err = _run(capsys, "summary", "inception_v1", "--input-size",
                        "32", "--width-multiplier", "0.25", "--plot",
                        str(path))
    assert rc == 1          # a tool missing on the machine, not bad input
    assert "Graphviz" in err
    assert "install graphviz" in err.lower()
    assert "Traceback" not in err
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("filename", ["out.jpg"])
def test_summary_plot_needs_png(capsys, tmp_path, filename):
    path = tmp_path / filename
    rc, out, err = _run(capsys, "summary", "inception_v1", "--input-size",
                        "32", "--width-multiplier", "0.25", "--plot",
                        str(path))
    assert rc == 2
    assert ".png" in err
    assert "Traceback" not in err
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# The installed command
# --------------------------------------------------------------------------

def test_console_script_help():
    script = pathlib.Path(sys.executable).with_name("keras-inception")
    command = ([str(script)] if script.exists()
               else [sys.executable, "-m", "keras_inception.cli"])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(command + ["--help"], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "usage: keras-inception" in result.stdout
    assert "models" in result.stdout and "summary" in result.stdout
