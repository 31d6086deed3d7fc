"""Training runs end to end: the run folder, resuming after SIGKILL, NaN,
folders with broken files, multi-worker through ``launch``, bad input.

Runs use the embedded dataset's ``tiny`` config (32 px, 100 train / 50
validation images) and a width-0.25 GoogLeNet, so a run takes seconds.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import h5py
import keras
import numpy as np
import pytest

from keras_inception.training import runner
from keras_inception.utils.plotting import read_history
from keras_inception.training.runner import TrainConfig
from tests.helpers import cli, cli_here, run_cli

TINY = dict(model="inception_v1", dataset="inception_shapes/tiny",
            epochs=2, batch_size=16, image_size=32, width_multiplier=0.25,
            recipe="modern_adamw", learning_rate=2e-3, warmup_epochs=0,
            jit_compile=False, verbose=0)


@pytest.fixture
def data_dir(tiny_dir):
    """The tiny embedded dataset (conftest's ``tiny_dir``)."""
    return tiny_dir


def cli_args(config):
    """``train`` flags for a config dict like TINY."""
    flags = []
    for key, value in config.items():
        if key in ("verbose",):
            continue
        flag = "--" + key.replace("_", "-")
        if key == "aux_logits":
            flags += [] if value else ["--no-aux"]
        elif value is True:
            flags.append(flag)
        elif value is False and key == "jit_compile":
            flags += [flag, "false"]
        elif value is not False:
            flags += [flag, str(value)]
    return flags


def weights_of(path):
    """Every array of a ``.weights.h5`` file, by path."""
    arrays = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return arrays


def assert_same_weights(a, b, atol=0.0):
    wa, wb = weights_of(a), weights_of(b)
    assert wa.keys() == wb.keys()
    worst = max(float(np.max(np.abs(np.asarray(wa[k], np.float64)
                                    - np.asarray(wb[k], np.float64))))
                if np.size(wa[k]) else 0.0 for k in wa)
    assert worst <= atol, f"weights differ by up to {worst}"


# --------------------------------------------------------------------------
def test_run_folder_has_weights_logs_curves_and_summary(tmp_path, data_dir,
                                                        caplog):
    out = tmp_path / "run"
    config = TrainConfig(**TINY, output=str(out), data_dir=data_dir)
    summary = runner.train(config)

    for name in ("run_config.json", "best.weights.h5", "last.weights.h5",
                 "history.csv", "curves.png", "summary.json"):
        assert (out / name).is_file(), name
    assert not (out / "backup").exists()          # finished: no resume point
    assert any((out / "logs").rglob("events.out.tfevents.*"))
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = (out / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + TINY["epochs"]
    header = rows[0].split(",")
    # main and auxiliary heads are logged, train and validation
    for column in ("loss", "predictions_loss", "aux_1_loss", "aux_2_loss",
                   "predictions_top1", "val_predictions_top1"):
        assert column in header
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    assert summary["classes"] == 10 and summary["train_examples"] == 100
    assert summary["steps_per_epoch"] == 100 // 16
    assert 0.0 <= summary["val_top1"] <= 1.0
    assert summary["images_per_second"] > 0

    # The same command again: complete, so nothing is trained.
    mtime = (out / "last.weights.h5").stat().st_mtime_ns
    with caplog.at_level("INFO", logger="keras_inception"):
        again = runner.train(config)
    assert again == on_disk
    assert "already complete" in caplog.text
    assert (out / "last.weights.h5").stat().st_mtime_ns == mtime

    # Other settings into the same folder: refused, nothing deleted.
    with pytest.raises(ValueError, match="epochs"):
        runner.train(TrainConfig(**{**TINY, "epochs": 3}, output=str(out),
                                 data_dir=data_dir))
    assert (out / "last.weights.h5").stat().st_mtime_ns == mtime

    # evaluate: the best weights on the run's validation split give the
    # run's best validation top-1.
    result = runner.evaluate(str(out), data_dir=data_dir, verbose=0)
    assert result["top1"] == pytest.approx(summary["best_val_top1"],
                                           abs=1e-6)


@pytest.mark.slow
def test_killed_run_resumes_at_the_step_and_ends_with_the_same_weights(
        tmp_path, data_dir):
    """SIGKILL in the middle of an epoch; the same command again resumes
    from the last backup (logged) and, with deterministic ops, ends with
    bit-identical weights to a run that was never interrupted."""
    config = dict(TINY, epochs=3, deterministic=True, backup_every=2,
                  data_dir=data_dir)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, "-m", "keras_inception.cli", "train",
               *cli_args(config), "--progress", "none"]
    uninterrupted = subprocess.Popen(command + ["--output", str(whole)],
                                     env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
    victim = subprocess.Popen(command + ["--output", str(killed)], env=env,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    metadata = killed / "backup" / "training_metadata.json"
    steps = 100 // 16
    deadline = time.monotonic() + 300
    position = None
    while victim.poll() is None and time.monotonic() < deadline:
        try:
            meta = json.loads(metadata.read_text())
        except (OSError, ValueError):
            meta = None
        if meta and meta["global_step"] > steps and meta["batch"] != 0:
            victim.send_signal(signal.SIGKILL)
            position = (meta["epoch"], meta["batch"])
            break
        time.sleep(0.005)
    victim.wait()
    assert position is not None, "the run ended before it could be killed"
    assert victim.returncode == -signal.SIGKILL
    assert not (killed / "summary.json").exists()

    resumed = subprocess.run(command + ["--output", str(killed)], env=env,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    lines = [line for line in resumed.stderr.splitlines()
             if "resuming" in line]
    assert lines, resumed.stderr[-3000:]
    found = re.search(r"epoch (\d+), step (\d+) of (\d+)", lines[0])
    epoch, step, of = map(int, found.groups())
    # The backup seen before the kill, or one written just after it.
    assert (epoch - 1) * steps + step >= position[0] * steps + position[1]
    assert 0 < step < of == steps and epoch >= 2
    summary = json.loads((killed / "summary.json").read_text())
    assert summary["resumed_from_global_step"] == (epoch - 1) * steps + step

    out, _ = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, out[-3000:]
    assert_same_weights(killed / "last.weights.h5", whole / "last.weights.h5")


def test_nan_loss_stops_with_a_clear_error_and_keeps_good_backup(
        tmp_path, data_dir):
    """Weights turn NaN after the third step (as a diverging run's do), so
    the fourth step's loss is NaN: training stops naming that epoch and
    step, and the backup holds the last finite state (the backup of the
    poisoned step is refused)."""
    poison_after = 3

    class Poison(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == poison_after:
                kernel = self.model.trainable_weights[0]
                kernel.assign(np.full(kernel.shape, np.nan, "float32"))

    config = TrainConfig(**TINY, output=str(tmp_path / "run"),
                         data_dir=data_dir, backup_every=1)
    with pytest.raises(runner.TrainingDiverged,
                       match=rf"epoch 1, step {poison_after + 1}\b"):
        runner.train(config, extra_callbacks=[Poison()])
    meta = tmp_path / "run" / "backup" / "training_metadata.json"
    assert meta.exists(), "no backup of the finite steps"
    saved = json.loads(meta.read_text())
    arrays = weights_of(tmp_path / "run" / "backup" / saved["weights"])
    assert arrays and all(np.all(np.isfinite(a)) for a in arrays.values())


def _write_image(path, colour, fmt):
    from PIL import Image
    Image.new("RGB", (40, 40), colour).save(path, format=fmt)


def test_folder_with_broken_files_trains_and_reports_them(tmp_path, capsys):
    root = tmp_path / "images"
    colours = {"red": (220, 30, 30), "blue": (30, 30, 220)}
    for name, colour in colours.items():
        (root / name).mkdir(parents=True)
        for i in range(12):
            _write_image(root / name / f"{i}.png", colour, "PNG")
    good = root / "red" / "good.jpg"
    _write_image(good, colours["red"], "JPEG")
    (root / "red" / "truncated.jpg").write_bytes(
        good.read_bytes()[: good.stat().st_size // 2])
    (root / "blue" / "notes.jpg").write_text("this is not an image")

    out = tmp_path / "run"
    result = cli_here(capsys, "train", "--model", "inception_v1",
                      "--dataset", root, "--output", out, "--epochs", 1,
                      "--batch-size", 4, "--image-size", 32,
                      "--width-multiplier", 0.25, "--jit-compile", "false",
                      "--progress", "epoch")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(os.path.basename(p) for p in summary["skipped_files"]) \
        == ["notes.jpg", "truncated.jpg"]
    assert "skipped 2 unreadable files" in result.stdout

    evaluated = cli_here(capsys, "evaluate", "--checkpoint", out,
                         "--progress", "none")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "top-1" in evaluated.stdout


@pytest.mark.slow
def test_multi_worker_training_through_launch(tmp_path, data_dir):
    """Two worker processes on localhost with MultiWorkerMirroredStrategy
    (keras#20585 corrected by keras_inception.distribute): both finish with
    identical weights, and the loss goes down."""
    out = tmp_path / "run"
    # Without aux heads and dropout, at a higher rate: a clear decrease
    # within four epochs of six steps (each worker's batch norm sees 8).
    config = dict(TINY, epochs=4, learning_rate=5e-3, dropout_rate=0.0,
                  aux_logits=False)
    result = cli("launch", "--workers", 2, "--", "train",
                 *cli_args(config), "--strategy",
                 "multi_worker", "--data-dir", data_dir, "--output", out,
                 "--progress", "epoch", timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "[worker 0]" in result.stdout and "[worker 1]" in result.stdout
    other = out / "workers" / "worker-1" / "last.weights.h5"
    assert_same_weights(out / "last.weights.h5", other)
    loss = read_history(out / "history.csv")["loss"]
    assert len(loss) == 4 and loss[-1] < loss[0]
    assert json.loads((out / "summary.json").read_text())["replicas"] == 2


# --------------------------------------------------------------------------
@pytest.mark.parametrize("changes, error, match", [
    ({"dataset": "imagenet_not_a_dataset"}, ValueError, "dataset"),
    ({"strategy": "gpu_cluster"}, ValueError, "`strategy`.*mirrored"),
    ({"epochs": 0}, ValueError, "`epochs`"),
    ({"batch_size": 0}, ValueError, "`batch_size`"),
    ({"precision": "float16"}, ValueError, "`precision`.*mixed_float16"),
    ({"recipe": "adam"}, ValueError, "`recipe`"),
    ({"model": "resnet50"}, ValueError, "inception_v1"),
    ({"image_size": 16}, ValueError, "`image_size`"),
    ({"width_multiplier": 0.0}, ValueError, "`width_multiplier`"),
    ({"jit_compile": "yes"}, ValueError, "`jit_compile`"),
    ({"seed": -1}, ValueError, "`seed`"),
])
def test_bad_configuration_fails_before_training(tmp_path, data_dir, changes,
                                                 error, match):
    out = tmp_path / "run"
    config = TrainConfig(**{**TINY, **changes}, output=str(out),
                         data_dir=data_dir)
    with pytest.raises(error, match=match):
        runner.train(config)
    assert not (out / "history.csv").exists()


def test_bad_folders_fail_before_training(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    one = tmp_path / "one" / "cats"
    one.mkdir(parents=True)
    for i in range(4):
        _write_image(one / f"{i}.png", (i * 40, 0, 0), "PNG")
    for folder, match in ((empty, "no image"), (one.parent, "class")):
        code, _, err = run_cli(capsys, "train", "--model", "inception_v1",
                               "--dataset", folder, "--output",
                               tmp_path / "run", "--image-size", 32)
        assert code == 2
        assert "error:" in err and match in err.lower()
        assert "Traceback" not in err
    assert not (tmp_path / "run" / "history.csv").exists()


def test_malformed_tf_config_fails_before_training(tmp_path, data_dir,
                                                   capsys, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{cluster: nonsense")
    code, _, err = run_cli(capsys, "train", *cli_args(TINY), "--strategy",
                           "multi_worker", "--data-dir", data_dir, "--output",
                           tmp_path / "run")
    assert code == 2
    assert "TF_CONFIG" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "history.csv").exists()


def test_output_that_is_not_a_run_is_left_alone(tmp_path, data_dir):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(ValueError, match="not a keras-inception run"):
        runner.train(TrainConfig(**TINY, output=str(out), data_dir=data_dir))
    assert (out / "thesis.tex").read_text() == "precious"


def test_train_cli_takes_mixed_precision_and_xla(tmp_path, data_dir, capsys):
    """`train --mixed-precision bfloat16 --jit-compile true` on the CPU: the
    run records both and trains to a finite accuracy (the bfloat16 layers
    themselves: the test below), and --precision given beside it is
    refused in one line before anything is written."""
    out = tmp_path / "run"
    args = cli_args({**TINY, "epochs": 1, "jit_compile": True})
    args = [a for a in args if a != "--jit-compile"]
    code, _, err = run_cli(capsys, "train", *args, "--jit-compile", "true",
                           "--mixed-precision", "bfloat16", "--data-dir",
                           data_dir, "--output", out, "--progress", "none")
    assert code == 0, err
    saved = json.loads((out / "run_config.json").read_text())["config"]
    assert saved["precision"] == "mixed_bfloat16"
    assert saved["jit_compile"] is True
    summary = json.loads((out / "summary.json").read_text())
    assert summary["precision"] == "mixed_bfloat16"
    assert np.isfinite(summary["val_top1"])
    code, _, err = run_cli(capsys, "train", *cli_args(TINY), "--precision",
                           "mixed_float16", "--mixed-precision", "bfloat16",
                           "--data-dir", data_dir, "--output",
                           tmp_path / "other", "--progress", "none")
    assert code == 2 and "not both" in err
    assert not (tmp_path / "other").exists()


def test_mixed_precision_trains_and_leaves_the_policy_as_found(tmp_path,
                                                              data_dir):
    import keras

    class Dtypes(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seen = {layer.dtype_policy.compute_dtype
                         for layer in self.model.layers
                         if isinstance(layer, keras.layers.Conv2D)}

    dtypes = Dtypes()
    config = TrainConfig(**{**TINY, "epochs": 1, "aux_logits": False},
                         precision="mixed_bfloat16", output=str(tmp_path),
                         data_dir=data_dir)
    summary = runner.train(config, extra_callbacks=[dtypes])
    assert dtypes.seen == {"bfloat16"}
    assert summary["precision"] == "mixed_bfloat16"
    assert np.isfinite(summary["val_top1"])
    assert keras.mixed_precision.global_policy().name == "float32"
