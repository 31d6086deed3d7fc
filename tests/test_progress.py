"""Progress that moves: a bar with images/s and ETA on a terminal, one line
per epoch (or check, or scan) in a log, for fit, evaluate, dataset scans and
export checks."""

import io
import re
import time

import keras
import numpy as np
import pytest
from PIL import Image

from keras_inception.data import folders
from keras_inception.deploy.verification import Verifier
from keras_inception.training.progress import ProgressCallback
from keras_inception.utils.progress import (Progress, keras_verbose,
                                            progress_mode)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def _screens(text):
    """What a terminal shows of each line: the text after its last
    carriage return."""
    return [line.rsplit("\r", 1)[-1] for line in text.split("\n") if line]


def _tiny_model():
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(3, activation="softmax")(inputs)
    model = keras.Model(inputs, outputs)
    model.compile("sgd", "sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseCategoricalAccuracy("top1")])
    return model


def _data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype("float32"), rng.integers(0, 3, n)


def test_line_mode_writes_one_line_at_the_end():
    out = io.StringIO()
    progress = Progress(5, desc="epoch 1/1", unit="image", scale=8,
                        mode="line", stream=out)
    for done in range(1, 6):
        progress.update(done, loss=0.5)
        assert out.getvalue() == ""
    progress.close(loss=0.25, top1=0.5)
    line, = out.getvalue().splitlines()
    assert re.fullmatch(r"epoch 1/1: 40 images in [\d.]+ s \([\d.]+ "
                        r"images/s\); loss 0\.25, top1 50\.00%", line), line


def test_bar_mode_redraws_with_rate_and_eta():
    out = Terminal()
    progress = Progress(4, desc="epoch 2/3", unit="image", scale=16,
                        mode="auto", stream=out)
    assert progress.mode == "bar"
    for done in range(1, 5):
        progress.update(done, loss=1.0 / done)
    progress.close(loss=0.25)
    text = out.getvalue()
    assert "\r" in text                          # redrawn in place
    final = _screens(text)[-1]
    assert final.startswith("epoch 2/3: 100%")
    assert "64/64" in final and "images/s" in final
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d", final)   # elapsed<ETA
    assert "loss 0.25" in final


@pytest.mark.parametrize("verbose,stream,mode", [
    (0, io.StringIO(), "none"), (1, io.StringIO(), "bar"),
    (2, Terminal(), "line"), ("auto", io.StringIO(), "line"),
    ("auto", Terminal(), "bar")])
def test_modes(verbose, stream, mode):
    assert Progress(1, desc="x", mode=verbose, stream=stream).mode == mode


@pytest.mark.parametrize("mode,stream,verbose", [
    ("auto", Terminal(), 1), ("auto", io.StringIO(), 2), ("bar", None, 1),
    ("line", None, 2), ("none", None, 0)])
def test_keras_verbose(mode, stream, verbose):
    """What ``--progress`` becomes in ``TrainConfig.verbose``."""
    assert keras_verbose(mode, stream) == verbose


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="verbose.*0, 1, 2"):
        progress_mode(3)


def test_fit_shows_a_line_per_epoch_without_a_terminal():
    x, y = _data()
    out = io.StringIO()
    _tiny_model().fit(x, y, batch_size=8, epochs=2, validation_data=(x, y),
                      verbose=0, callbacks=[ProgressCallback(
                          "auto", batch_size=8, stream=out)])
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2",
                                                      "epoch 2/2"]
    for line in lines:
        assert re.search(r": 40 images in [\d.]+ s \([\d.]+ images/s\); "
                         r"loss [\d.]+, top1 [\d.]+%, val_loss [\d.]+, "
                         r"val_top1 [\d.]+%$", line), line


def test_fit_bar_inside_the_epoch_on_a_terminal():
    x, y = _data()
    out = Terminal()
    # Each step outlasts the bar's redraw interval (tqdm's mininterval,
    # 0.2 s): on a fast machine the five steps would otherwise all fall
    # inside one interval and only the end would be drawn.
    slow = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: time.sleep(0.3))
    _tiny_model().fit(x, y, batch_size=8, epochs=1, validation_data=(x, y),
                      verbose=0, callbacks=[slow, ProgressCallback(
                          1, batch_size=8, stream=out)])
    text = out.getvalue()
    # Redrawn after steps inside the epoch, not only at its end.
    assert re.search(r"epoch 1/1: +\d+%\|.*\| (8|16|24|32)/40", text)
    final, = _screens(text)
    assert final.startswith("epoch 1/1: 100%")    # not "(validating)"
    assert "val_top1" in final and "images/s" in final


def test_evaluate_shows_its_own_line():
    """Its own description, and the images counted even when the last
    batch is short (22 = 8 + 8 + 6)."""
    x, y = _data(22)
    out = io.StringIO()
    _tiny_model().evaluate(x, y, batch_size=8, verbose=0,
                           callbacks=[ProgressCallback(
                               2, batch_size=8, images=22,
                               desc="evaluating", stream=out)])
    line, = out.getvalue().splitlines()
    assert line.startswith("evaluating: 22 images in ")
    assert "top1" in line


def test_a_large_scan_reports_its_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(folders, "PROGRESS_MIN_FILES", 3)
    paths = []
    for i in range(4):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(path)
        paths.append(path)
    (tmp_path / "bad.png").write_text("not an image")
    ok, bad = folders.scan_images(paths + [tmp_path / "bad.png"])
    assert len(ok) == 4 and len(bad) == 1
    line, = capsys.readouterr().err.splitlines()   # not a terminal
    assert line.startswith("checking image files: 5 files in ")
    assert line.endswith("unreadable 1")


def test_export_checks_report_each_run(capsys):
    """The verifier's runs of Keras and of an artifact, one line each
    without a terminal (``export(..., verbose=2)``)."""
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    images = np.random.default_rng(0).uniform(0, 255, (20, 8, 8, 3))
    images = images.astype("float32")

    class Artifact:
        def predict(self, batch, batch_size, progress):
            for i in range(0, len(batch), batch_size):
                progress.update(i // batch_size + 1)
            return model.predict(batch, verbose=0)

    verifier = Verifier("m/1", lambda x: model(x), images, verbose=2)
    entry = verifier.check("onnx", Artifact())
    assert entry["parity"]["max_abs_diff"] == 0.0
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Keras outputs",
                                                      "checking onnx"]
    assert all(" 20 images in " in line for line in lines), lines
