"""Faults of the machine at the command line, injected.

A full disk: a real 3 MB tmpfs where the kernel lets this process mount one
(in a user and mount namespace), and everywhere the writers patched to fail
as a full disk makes each of them fail (h5py's text, TensorFlow's
``ResourceExhaustedError``, Python's ``OSError``) at their first and at a
later write, after leaving part of a file behind. Each ends in one line,
exit code 1, no traceback, nothing half-written that loads, and the same
command with space succeeds. Then files that are not what their names say
(exit code 2), and the one place that turns errors into lines.
"""

import errno
import os
import shutil
import subprocess
import sys

import keras
import pytest
import tensorflow as tf

from keras_inception.cli.errors import describe
from keras_inception.deploy.artifacts import load_artifact
from keras_inception.utils import atomic, faults
from keras_inception.utils.files import check_model_file
from tests.helpers import CHILD_ENV, run_cli

pytestmark = pytest.mark.xdist_group("faults")

TINY = ["--model", "inception_v1", "--dataset", "inception_shapes/tiny",
        "--batch-size", "16", "--image-size", "32", "--width-multiplier",
        "0.25", "--recipe", "modern_adamw", "--warmup-epochs", "0",
        "--jit-compile", "false", "--run-eagerly", "--progress", "none"]


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_dir):
    """A finished one-epoch run folder of the tiny embedded dataset."""
    from keras_inception.training.runner import TrainConfig, train
    out = str(tmp_path_factory.mktemp("faults") / "tiny")
    train(TrainConfig(model="inception_v1", dataset="inception_shapes/tiny",
                      epochs=1, batch_size=16, image_size=32,
                      width_multiplier=0.25, recipe="modern_adamw",
                      warmup_epochs=0, jit_compile=False, run_eagerly=True,
                      verbose=0, output=out, data_dir=tiny_dir))
    return out


class FullDisk:
    """Every writer of a run, an export and a search, patched: from the
    ``fail_at``-th write on (1: the first), each leaves part of its file
    and raises what a full disk raises in that writer."""

    def __init__(self, monkeypatch, fail_at):
        self.fail_at, self.writes, self.failed = fail_at, 0, []
        save_weights = keras.Model.save_weights
        save_model = tf.saved_model.save
        write_text = atomic.write_text

        def weights(model, filepath, *args, **kwargs):
            self._write(filepath, OSError(
                "Unable to synchronously create file (unable to open file: "
                f"name = '{filepath}', errno = 28, error message = 'No "
                "space left on device')"))
            return save_weights(model, filepath, *args, **kwargs)

        def saved_model(obj, export_dir, *args, **kwargs):
            pb = os.path.join(export_dir, "saved_model.pb")
            self._write(pb, tf.errors.ResourceExhaustedError(
                None, None, f"{pb}.tmp5e1f; No space left on device"))
            return save_model(obj, export_dir, *args, **kwargs)

        def text(path, content):
            if self.writes + 1 >= self.fail_at:
                # Inside the atomic writer, where the real write fails.
                with atomic.atomic_path(path) as tmp:
                    self._write(tmp, OSError(errno.ENOSPC, os.strerror(
                        errno.ENOSPC), tmp))
            self.writes += 1
            return write_text(path, content)

        monkeypatch.setattr(keras.Model, "save_weights", weights)
        monkeypatch.setattr(tf.saved_model, "save", saved_model)
        monkeypatch.setattr(atomic, "write_text", text)

    def _write(self, path, error):
        self.writes += 1
        if self.writes >= self.fail_at:
            self.failed.append(os.fspath(path))
            os.makedirs(os.path.dirname(os.path.abspath(path)),
                        exist_ok=True)
            with open(path, "wb") as f:   # what got out before the disk
                f.write(b"\x89HDF\r\n\x1a\n" + bytes(64))   # filled up
            raise error


def error_line(err):
    """The error line of a command's stderr; asserts there is exactly one,
    last, with no traceback, and that any other line is our log."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert lines and "error: " in lines[-1], err
    assert all(line.startswith("keras-inception: ") for line in lines[:-1]), \
        err
    return lines[-1]


def loadable_leftovers(folder):
    """Files under ``folder`` a reader would take for finished work but are
    not: partial names, or weights files that do not open."""
    bad = []
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if ".partial" in path:
                bad.append(path)
            elif name.endswith(".weights.h5"):
                try:
                    check_model_file(path, "weights")
                except ValueError:
                    bad.append(path)
    return bad


# --------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fail_at", [1, 2], ids=["first_write",
                                               "later_write"])
def test_export_onto_a_full_disk(run, tmp_path, monkeypatch, capsys,
                                 fail_at):
    out = tmp_path / "exports"
    argv = ["export", "--checkpoint", run, "--format", "saved_model,tflite",
            "--output", out, "--progress", "none"]
    disk = FullDisk(monkeypatch, fail_at)
    code, _, err = run_cli(capsys, *argv)
    assert disk.failed, "no write was attempted"
    assert code == 1
    line = error_line(err)
    assert f"not enough space in {out} for export tiny/1" in line
    assert " MB needed, " in line and line.endswith(" MB free")
    # The version never appeared, nor anything partial beside it.
    assert not (out / "tiny" / "1").exists()
    assert os.listdir(out / "tiny") == []
    assert not (out / "models.config").exists()

    monkeypatch.undo()   # space again: the same command succeeds
    code, stdout, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert "exported tiny version 1" in stdout
    assert load_artifact(out / "tiny" / "1").kind == "saved_model"


def _can_mount_tmpfs(folder):
    try:
        return subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
             f"mount -t tmpfs -o size=1m tmpfs {folder}"],
            capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_export_onto_a_real_3mb_tmpfs(run, tmp_path):
    """The reported case itself: a SavedModel that needs 2.7 MB (3.3 MB
    before export folded its batch normalisation) onto a 2 MB tmpfs, then
    the same command once the tmpfs is grown, then once it is
    read-only."""
    disk = tmp_path / "small"
    disk.mkdir()
    if not _can_mount_tmpfs(disk):
        pytest.skip("this kernel or container allows no tmpfs mount in a "
                    "user namespace (the patched writers above still run)")
    command = (f"{sys.executable} -m keras_inception.cli export --checkpoint "
               f"{run} --format saved_model --output {disk}/out --progress "
               "none")
    script = (f"mount -t tmpfs -o size=2m tmpfs {disk} && "
              f"{command} 2> {tmp_path}/full.err; echo $? > {tmp_path}/full"
              f"; ls -A {disk}/out/tiny > {tmp_path}/left; "
              f"mount -o remount,size=64m {disk} && "
              f"{command} > {tmp_path}/grown.out 2>&1; "
              f"echo $? > {tmp_path}/grown; "
              f"ls {disk}/out/tiny/1 > {tmp_path}/published; "
              f"mount -o remount,ro {disk} && "
              f"{command} 2> {tmp_path}/ro.err; echo $? > {tmp_path}/ro")
    subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh",
                    "-c", script], env=CHILD_ENV, timeout=600, check=True)
    err = (tmp_path / "full.err").read_text()
    assert (tmp_path / "full").read_text().strip() == "1", err
    line = error_line(err)
    assert f"not enough space in {disk}/out for export tiny/1" in line
    assert line.endswith("2.0 MB free")
    assert (tmp_path / "left").read_text().strip() == ""   # nothing partial
    assert (tmp_path / "grown").read_text().strip() == "0", \
        (tmp_path / "grown.out").read_text()
    assert "saved_model.pb" in (tmp_path / "published").read_text()
    # Then read-only: version 2 cannot be written, and the line says why.
    err = (tmp_path / "ro.err").read_text()
    assert (tmp_path / "ro").read_text().strip() == "1", err
    assert error_line(err).endswith(
        f"cannot write export tiny/2 in {disk}/out: read-only file system")


# --------------------------------------------------------------------------
# Training checkpoints
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fail_at", [1, 4], ids=["first_write",
                                               "later_write"])
def test_training_onto_a_full_disk_resumes_with_space(tiny_dir, tmp_path,
                                                      monkeypatch, capsys,
                                                      fail_at):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--epochs", "2", "--data-dir", tiny_dir,
            "--output", out]
    disk = FullDisk(monkeypatch, fail_at)
    code, _, err = run_cli(capsys, *argv)
    assert disk.failed and code == 1
    line = error_line(err)
    assert f"not enough space in {out} for training run {out}" in line
    assert " MB needed, " in line
    assert loadable_leftovers(out) == []

    monkeypatch.undo()
    code, stdout, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert (out / "summary.json").is_file()
    assert loadable_leftovers(out) == []
    if fail_at > 1:   # a backup was complete before the disk filled
        assert "resuming" in err


# --------------------------------------------------------------------------
# A tuner trial
# --------------------------------------------------------------------------
def test_tuner_trial_onto_a_full_disk(tiny_dir, tmp_path, monkeypatch,
                                      capsys):
    out = tmp_path / "search"
    argv = ["tune", "--model", "inception_v1", "--dataset",
            "inception_shapes/tiny", "--data-dir", tiny_dir, "--tuner",
            "random", "--max-trials", "1", "--epochs", "1", "--batch-size",
            "16", "--image-size", "32", "--fixed", "width_multiplier=0.25",
            "--recipe", "modern_adamw",
            "--warmup-epochs", "0", "--jit-compile", "false",
            "--run-eagerly", "--progress", "none", "--output", out]
    disk = FullDisk(monkeypatch, fail_at=2)   # inside the trial
    code, _, err = run_cli(capsys, *argv)
    assert disk.failed and code == 1
    line = error_line(err)
    assert "not enough space in " in line and str(out) in line
    assert loadable_leftovers(out) == []

    monkeypatch.undo()
    code, stdout, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert "best: trial" in stdout


# --------------------------------------------------------------------------
# Files that are not what they say (the reported cases among them)
# --------------------------------------------------------------------------
def test_predict_names_the_file_that_is_not_an_image(run, tmp_path, capsys):
    text = tmp_path / "not_an_image.jpg"
    text.write_text("hello")
    code, _, err = run_cli(capsys, "predict", "--artifact", run, text)
    assert code == 2
    assert error_line(err) == (
        f"keras-inception predict: error: {text}: not a JPEG, PNG, GIF or "
        "BMP image (unknown file signature)")
    assert "Summarized data" not in err and "Expected" not in err


def _cut(source, target, size):
    with open(source, "rb") as f:
        data = f.read(size)
    with open(target, "wb") as f:
        f.write(data)
    return target


def test_truncated_weights_file_is_named_as_truncated(run, tmp_path, capsys):
    best = os.path.join(run, "best.weights.h5")
    alone = _cut(best, tmp_path / "truncated.weights.h5", 5000)
    inside = _cut(best, os.path.join(run, "cut.weights.h5"), 5000)
    try:
        image = tmp_path / "x.png"
        image.write_bytes(tf.io.encode_png(tf.zeros((8, 8, 3),
                                                    tf.uint8)).numpy())
        size = f"{os.path.getsize(best):,}"
        for path, argv in (
                (alone, ["predict", "--artifact", alone, image]),
                (inside, ["evaluate", "--checkpoint", inside]),
                (alone, ["export", "--model", "inception_v1", "--weights",
                         alone, "--output", tmp_path / "e"])):
            code, _, err = run_cli(capsys, *argv)
            assert code == 2, argv
            line = error_line(err)
            assert str(path) in line
            assert f"truncated: 5,000 of {size} bytes" in line
            assert "run folder" not in line
    finally:
        os.remove(inside)


def test_a_whole_weights_file_outside_its_run_says_so(run, tmp_path, capsys):
    alone = tmp_path / "alone.weights.h5"
    shutil.copy(os.path.join(run, "best.weights.h5"), alone)
    image = tmp_path / "x.png"
    image.write_bytes(tf.io.encode_png(tf.zeros((8, 8, 3), tf.uint8)).numpy())
    code, _, err = run_cli(capsys, "predict", "--artifact", alone, image)
    assert code == 2
    line = error_line(err)
    assert "is a weights file outside a training run" in line
    assert "--model NAME --weights FILE" in line


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    """A real small ``.weights.h5`` and ``.keras``."""
    folder = tmp_path_factory.mktemp("files")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    model.save_weights(folder / "m.weights.h5")
    model.save(folder / "m.keras")
    return folder


@pytest.mark.parametrize("name, make, says", [
    ("w.weights.h5", lambda f: _cut(f / "m.weights.h5", f / "w.weights.h5",
                                    1000), "truncated: 1,000 of "),
    ("w.weights.h5", lambda f: (f / "w.weights.h5").write_text("x" * 64),
     "not an HDF5 weights file"),
    ("m.keras", lambda f: _cut(f / "m.keras", f / "c.keras", 300),
     "not a .keras archive (not a complete zip file; truncated?)"),
    ("z.keras", lambda f: shutil.make_archive(
        str(f / "z"), "zip", f, "m.weights.h5") and os.replace(
        f / "z.zip", f / "z.keras"), "not a Keras model (no config.json"),
    ("m.tflite", lambda f: (f / "m.tflite").write_text("<html>404</html>"),
     "not a TFLite model"),
    ("m.onnx", lambda f: (f / "m.onnx").write_text("<html>404</html>"),
     "not an ONNX model"),
    ("e.onnx", lambda f: (f / "e.onnx").write_bytes(b""), "is empty"),
    ("d.onnx", lambda f: (f / "d.onnx").mkdir(), "is a folder"),
    ("gone.tflite", lambda f: None, "does not exist"),
], ids=["truncated_h5", "foreign_h5", "truncated_keras", "zip_not_keras",
        "foreign_tflite", "foreign_onnx", "empty", "folder", "missing"])
def test_model_files_are_judged_as_what_they_are(model_files, tmp_path, name,
                                                 make, says):
    folder = tmp_path / "f"
    shutil.copytree(model_files, folder)
    make(folder)
    path = folder / ("c.keras" if name == "m.keras" else name)
    with pytest.raises(ValueError) as info:
        check_model_file(path, "artifact")
    assert str(info.value).startswith(f"`artifact` {str(path)!r}")
    assert says in str(info.value)


def test_sound_model_files_pass(model_files):
    assert check_model_file(model_files / "m.weights.h5", "w") == "weights"
    assert check_model_file(model_files / "m.keras", "w") == "keras"


# --------------------------------------------------------------------------
# The one place that turns errors into lines
# --------------------------------------------------------------------------
@pytest.mark.parametrize("error, code, says", [
    (ValueError("`batch_size` must be positive"), 2,
     "--batch-size must be positive"),
    (TypeError("`epochs` must be an int"), 2, "--epochs must be an int"),
    (faults.MachineFault("not enough space in /x"), 1,
     "not enough space in /x"),
    (OSError(errno.ENOSPC, "No space left on device", "/x/a.h5"), 1,
     "No space left on device: /x/a.h5"),
    (RuntimeError("Graphviz is not installed"), 1, "Graphviz"),
    (tf.errors.InvalidArgumentError(None, None, "assertion failed: "
                                    "[image_bytes: truncated image header]"),
     2, "truncated image header"),
    (tf.errors.UnavailableError(None, None, "worker 1 is gone\n\t[[node]]"),
     1, "worker 1 is gone"),
    (KeyError("x"), 1, "unexpected KeyError"),
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_errors_become_one_line_and_an_exit_code(error, code, says):
    got_code, line = describe(error, {"batch_size": "--batch-size",
                                      "epochs": "--epochs"})
    assert got_code == code
    assert says in line and "\n" not in line


def test_a_write_fault_names_folder_and_space(tmp_path):
    with pytest.raises(faults.MachineFault) as info:
        with faults.writing(tmp_path, "the thing", needed=5 * 2 ** 20):
            raise tf.errors.ResourceExhaustedError(
                None, None, "a.tmp; No space left on device")
    assert info.value.errno == errno.ENOSPC
    assert str(info.value).startswith(
        f"not enough space in {tmp_path} for the thing: about 5.0 MB "
        "needed, ")
    with pytest.raises(faults.MachineFault, match="permission denied"):
        with faults.writing(tmp_path, "the thing"):
            raise PermissionError(errno.EACCES, "Permission denied")
    with pytest.raises(KeyError):            # not a write fault: unchanged
        with faults.writing(tmp_path, "the thing"):
            raise KeyError("x")
    free = faults.free_bytes(tmp_path / "not" / "made")
    with pytest.raises(faults.MachineFault, match="about .* needed"):
        faults.check_space(tmp_path, "a huge thing", free * 2)
