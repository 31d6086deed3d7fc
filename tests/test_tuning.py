"""keras-tuner searches (keras_inception.tuning and `keras-inception tune`).

Every search trains GoogLeNet at small widths on the embedded dataset's
``tiny`` config (100 training and 50 validation images at 32 px, 4 steps of
25 per epoch), eagerly (tracing the graph would cost more than the steps), so
a trial takes seconds; what is checked is the search machinery: budgets,
resumption, memory, distribution and the report. Depth (block counts) is
checked through the hypermodel's builds, without training.
"""

import csv
import dataclasses
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time

import keras
import keras_tuner
import numpy as np
import pytest

import keras_inception
from keras_inception.deploy import export
from keras_inception.training import runner
from keras_inception import tuning
from keras_inception.tuning.hypermodel import InceptionHyperModel
from tests.helpers import CHILD_ENV, cli

ENV = CHILD_ENV
TINY = dict(dataset="inception_shapes/tiny", image_size=32, epochs=2,
            batch_size=25, recipe="modern_adamw",
            warmup_epochs=0, run_eagerly=True, deterministic=True)
STEPS_PER_EPOCH = 100 // 25
# One epoch per trial where the test needs no more (Hyperband needs two).
SEARCH = {**TINY, "epochs": 1}


def tune_args(tiny_dir, output, *extra, batch_size=25):
    return ["tune", "--model", "inception_v1", "--dataset",
            "inception_shapes/tiny", "--data-dir", tiny_dir,
            "--image-size", "32", "--batch-size", str(batch_size),
            "--epochs", "1",
            "--recipe", "modern_adamw", "--warmup-epochs", "0",
            "--run-eagerly",
            "--output", output, *extra]


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class StepCounter(keras.callbacks.Callback):
    """Counts training steps in all trials: keras-tuner deep-copies the
    callbacks of each trial, so the count lives on the class."""

    steps = 0

    def on_train_batch_end(self, batch, logs=None):
        type(self).steps += 1


@pytest.mark.slow
def test_search_rejects_over_budget_and_its_best_retrains(tmp_path,
                                                          tiny_dir, caplog,
                                                          capsys):
    # Six configurations, all of them tried (RandomSearch does not repeat
    # one): the budget lies between the two narrow widths and the widest,
    # so the two widest configurations are rejected and four train.
    widths = [0.125, 0.1875, 0.25]
    args = dict(space={"width_multiplier": widths,
                       "dropout_rate": [0.0, 0.2]},
                data_dir=tiny_dir, **SEARCH)
    probe = InceptionHyperModel("inception_v1", **args)
    costs = {w: probe.cost({"width_multiplier": w}) for w in widths}
    assert costs[0.125][1] < costs[0.1875][1] < costs[0.25][1]
    budget = (costs[0.1875][1] + costs[0.25][1]) / 2
    hypermodel = InceptionHyperModel("inception_v1", max_gmacs=budget,
                                     **args)
    StepCounter.steps = 0
    caplog.set_level(logging.INFO, logger="keras_inception")
    report = tuning.search(hypermodel, "random", max_trials=6,
                           output=tmp_path / "search",
                           callbacks=[StepCounter()])
    # Each trial that trained ends with a line of its hyperparameters and
    # result (keras-tuner's own display is off).
    ended = [r.getMessage() for r in caplog.records
             if re.match(r"trial_\d+: .*width_multiplier=.* -> val top-1 "
                         r"[\d.]+% \([\d.e-]+ GMACs, 1 epoch\(s\), ",
                         r.getMessage())]
    assert len(ended) == 4, [r.getMessage() for r in caplog.records]
    # A rejection is one line, not keras-tuner's stack trace.
    rejected = [r.getMessage() for r in caplog.records
                if "rejected -- over budget" in r.getMessage()]
    assert len(rejected) == 2, [r.getMessage() for r in caplog.records]
    assert "Traceback" not in capsys.readouterr().err

    assert sorted(r["status"] for r in report.rows) == \
        ["COMPLETED"] * 4 + ["REJECTED"] * 2
    for r in report.rows:
        assert (r["parameters"], r["gmacs"]) == costs[r["width_multiplier"]]
        if r["status"] == "REJECTED":
            assert r["width_multiplier"] == 0.25
            assert "GMACs > max_gmacs" in r["reason"]
            assert r["val_top1"] is None
    # Zero steps for the rejected trials: the four others account for all.
    assert StepCounter.steps == 4 * SEARCH["epochs"] * STEPS_PER_EPOCH

    # The CSV and the Pareto front: no completed trial beats a front
    # member on both accuracy and GMACs, and every other one is beaten.
    rows = read_rows(report.csv)
    assert len(rows) == 6 and {"trial", "status", "width_multiplier",
                               "dropout_rate", "parameters", "gmacs",
                               "val_top1", "seconds"} <= set(rows[0])
    done = [r for r in report.rows if r["status"] == "COMPLETED"]
    for r in done:
        beaten = any(o["val_top1"] >= r["val_top1"] and
                     o["gmacs"] <= r["gmacs"] and o is not r and
                     (o["val_top1"], o["gmacs"]) != (r["val_top1"],
                                                     r["gmacs"])
                     for o in done)
        assert (r["trial"] in report.pareto) == (not beaten)
    assert {r["trial"] for r in rows if r["pareto"] == "1"} == \
        set(report.pareto)
    with open(report.png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"

    # The best trial, rebuilt from its saved hyperparameters, has the saved
    # parameter count -- through the hypermodel and through the builder.
    record, config = tuning.load_best(tmp_path / "search")
    assert record["val_top1"] == max(r["val_top1"] for r in done)
    values = record["hyperparameters"]
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    rebuilt = keras_inception.strip_aux(hypermodel.build(hp))
    assert rebuilt.count_params() == record["parameters"]
    direct = keras_inception.InceptionV1(
        input_shape=(32, 32, 3), classes=10,
        width_multiplier=values["width_multiplier"])
    assert direct.count_params() == record["parameters"]
    # Retrained with the same seed it reproduces its accuracy (one point:
    # half an image of the 50) and, deterministic, its validation loss.
    again = runner.train(dataclasses.replace(
        config, output=str(tmp_path / "retrained"), verbose=0))
    assert abs(again["best_val_top1"] - record["val_top1"]) <= 0.01
    history = [read_rows(os.path.join(folder, runner.HISTORY))
               for folder in (report.best_dir, str(tmp_path / "retrained"))]
    assert [float(r["val_loss"]) for r in history[0]] == pytest.approx(
        [float(r["val_loss"]) for r in history[1]], rel=1e-4)
    # `export` takes the best folder as it is.
    result = export.export_checkpoint(report.best_dir,
                                      str(tmp_path / "served"), "tflite")
    assert result.manifest["artifacts"]["tflite"]["parity"][
        "max_abs_diff"] <= 1e-4


@pytest.mark.parametrize("name,blocks", [
    ("inception_v3", {"blocks_17x17": 2}),
    ("inception_v4", {"blocks_35x35": 1, "blocks_17x17": 2,
                      "blocks_8x8": 1}),
    ("inception_resnet_v2", {"blocks_35x35": 2, "blocks_17x17": 3,
                             "blocks_8x8": 1}),
])
def test_block_count_hyperparameters_build_that_depth(name, blocks):
    hm = InceptionHyperModel(name, classes=10, image_size=75,
                             space={k: (1, v + 1) for k, v in blocks.items()},
                             fixed={"width_multiplier": 0.125})
    hp = keras_tuner.HyperParameters()
    for key, value in blocks.items():
        hp.Fixed(key, value)
    model = keras_inception.strip_aux(hm.build(hp))
    counts = tuple(blocks[f"blocks_{s}"] for s in
                   keras_inception.get_model_info(name).block_stages)
    direct = keras_inception.get_model(
        name, input_shape=(75, 75, 3), classes=10, width_multiplier=0.125,
        block_counts=counts)
    assert model.count_params() == direct.count_params()
    assert hm.cost({**blocks, "width_multiplier": 0.125}) == (
        direct.count_params(), keras_inception.count_macs(direct) / 1e9)
    assert hm.train_config({**blocks, "width_multiplier": 0.125},
                           "o").block_counts == list(counts)


@pytest.mark.slow
def test_hyperband_continues_trials_from_their_parents(tmp_path, tiny_dir):
    hypermodel = InceptionHyperModel(
        "inception_v1", space={"width_multiplier": (0.125, 0.5, 0.125)},
        data_dir=tiny_dir, **{**TINY, "epochs": 3})
    report = tuning.search(hypermodel, "hyperband", max_trials=4,
                           output=tmp_path / "hb", seed=1)
    assert [r["status"] for r in report.rows] == ["COMPLETED"] * 4
    made = tuning.make_tuner(hypermodel, "hyperband", max_trials=4,
                             output=tmp_path / "hb")
    continued = [t for t in made.oracle.trials.values()
                 if t.hyperparameters.values.get("tuner/trial_id")]
    assert continued, "Hyperband continued no trial"
    for trial in continued:
        hp = trial.hyperparameters.values
        record = json.load(open(os.path.join(
            made.get_trial_dir(trial.trial_id), tuning.TRIAL_RECORD)))
        assert record["epochs"] == hp["tuner/epochs"] - \
            hp["tuner/initial_epoch"]
        parent = hp["tuner/trial_id"]
        assert hp["width_multiplier"] == \
            made.oracle.trials[parent].hyperparameters.values[
                "width_multiplier"]


def _completed_trial(project, name):
    try:
        with open(os.path.join(project, name, "trial.json")) as f:
            return json.load(f)["status"] == "COMPLETED"
    except (OSError, ValueError, KeyError):
        return False


def _completed(project):
    """Trial folders of ``project`` whose ``trial.json`` says COMPLETED."""
    names = os.listdir(project) if os.path.isdir(project) else ()
    return [name for name in sorted(names)
            if _completed_trial(project, name)]


@pytest.mark.slow
def test_killed_search_resumes_with_the_remaining_trials(tmp_path, tiny_dir):
    output = str(tmp_path / "search")
    args = tune_args(tiny_dir, output, "--tuner", "bayesian",
                     "--max-trials", "4",
                     "--search", "width_multiplier=0.125:0.5:0.125")
    project = os.path.join(output, tuning.PROJECT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "keras_inception.cli", *args], env=ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while len(_completed(project)) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline, "two trials took over 600 s"
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "it finished before the kill"
    first = {}
    for name in _completed(project):
        record = os.path.join(project, name, tuning.TRIAL_RECORD)
        first[name] = (open(record).read(), os.stat(record).st_mtime_ns)
    assert len(first) == 2

    result = cli(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming the search" in result.stderr
    begun = {line.split(":")[1].strip().split()[-1]
             for line in result.stderr.splitlines()
             if line.startswith("keras-inception: trial ")
             and ": val top-1" not in line and " -- " not in line}
    rows = read_rows(os.path.join(output, tuning.TRIALS_CSV))
    assert [r["status"] for r in rows] == ["COMPLETED"] * 4
    finished_first = {name[len("trial_"):] for name in first}
    assert begun == {r["trial"] for r in rows} - finished_first
    for name, (text, mtime) in first.items():
        record = os.path.join(project, name, tuning.TRIAL_RECORD)
        assert (open(record).read(), os.stat(record).st_mtime_ns) == \
            (text, mtime), f"{name} ran again"


MEMORY_SCRIPT = """
import json, sys
import keras, psutil
from keras_inception import tuning

rss = []

class Rss(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        rss.append(psutil.Process().memory_info().rss)

# One width for all ten trials, so that a trial's resident memory does not
# depend on the widest network built so far (the allocator keeps its high
# water mark: with widths drawn from 0.05-0.5 the 10th trial measured 9.8%
# over the 2nd, at the 0.25 width of every trial here 0.5%): what grows
# then is what trials leave behind.
hm = tuning.InceptionHyperModel(
    "inception_v1", space={"dropout_rate": (0.0, 0.4, 0.1),
                           "learning_rate": None},
    fixed={"width_multiplier": 0.25},
    dataset="inception_shapes/tiny", data_dir=sys.argv[1], image_size=32,
    epochs=1, batch_size=50, recipe="modern_adamw", warmup_epochs=0,
    run_eagerly=True)
report = tuning.search(hm, "random", max_trials=10, output=sys.argv[2],
                       callbacks=[Rss()])
json.dump({"rss": rss, "status": [r["status"] for r in report.rows]},
          open(sys.argv[3], "w"))
"""


@pytest.mark.slow
def test_memory_does_not_grow_across_trials(tmp_path, tiny_dir):
    script = tmp_path / "memory.py"
    script.write_text(MEMORY_SCRIPT)
    out = tmp_path / "rss.json"
    result = subprocess.run(
        [sys.executable, str(script), tiny_dir, str(tmp_path / "s"),
         str(out)], capture_output=True, text=True, env=ENV, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(out.read_text())
    assert measured["status"] == ["COMPLETED"] * 10
    rss = np.array(measured["rss"]) / 2**20
    assert len(rss) == 10
    print("resident MiB after each trial:", np.round(rss, 1).tolist())
    assert rss[9] <= 1.10 * rss[1], rss.round(1).tolist()


@pytest.mark.slow
def test_chief_and_two_workers_share_one_oracle(tmp_path, tiny_dir):
    output = str(tmp_path / "dist")
    result = cli(*tune_args(tiny_dir, output, "--tuner", "random",
                            "--max-trials", "4", "--workers", "2",
                            "--timeout", "800",
                            "--search", "width_multiplier=0.125:0.5:0.125",
                            batch_size=50))   # two steps a trial
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    lines = result.stdout.splitlines()
    assert any(line.startswith("[chief] best: trial") for line in lines)
    rows = read_rows(os.path.join(output, tuning.TRIALS_CSV))
    assert len(rows) == 4 and {r["status"] for r in rows} == {"COMPLETED"}
    assert len({r["width_multiplier"] for r in rows}) == 4
    project = os.path.join(output, tuning.PROJECT)
    tuners = [json.load(open(os.path.join(
        project, f"trial_{r['trial']}", tuning.TRIAL_RECORD)))["tuner_id"]
        for r in rows]
    assert set(tuners) == {"tuner0", "tuner1"}, tuners


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(space={"widht_multiplier": None}), ValueError,
     "unknown hyperparameter 'widht_multiplier'"),
    (dict(fixed={"blocks_35x35": 2}), ValueError,
     "unknown hyperparameter 'blocks_35x35'.*no such stage"),
    (dict(space={"width_multiplier": (1.0, 0.5)}), ValueError,
     "empty range"),
    (dict(space={"blocks_17x17": []}), ValueError, "empty list"),
    (dict(space={"blocks_17x17": (0, 3)}), ValueError,
     "must be a positive integer; received 0"),
    (dict(space={"dropout_rate": (0.0, 1.5)}), ValueError,
     r"must be in \[0.0, 1.0\)"),
    (dict(max_gmacs=1e-6), ValueError, "no configuration of the search "
     "space meets the budget"),
    (dict(max_params=-5), ValueError, "`max_params` must be a number > 0"),
    (dict(width_multiplier=0.5), ValueError, "set by the hypermodel"),
    (dict(epoch=3), TypeError, "unknown training option"),
    (dict(recipe="modern_adamw", epochs=2), ValueError,
     "must exceed the recipe's 5 warm-up epochs"),
])
def test_bad_hypermodel_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        InceptionHyperModel("inception_v3", classes=10, **kwargs)


def test_aux_weight_needs_an_auxiliary_head():
    with pytest.raises(ValueError, match="no auxiliary classifier"):
        InceptionHyperModel("inception_v4", classes=10,
                            space=["aux_weight"])
    hm = InceptionHyperModel("inception_v1", classes=10,
                             space=["aux_weight", "learning_rate"])
    assert hm.objective.name == "val_predictions_top1"
    hp = keras_tuner.HyperParameters()
    values = hm.values(hp)
    assert set(values) == {"aux_weight", "learning_rate"}


def test_a_fixed_value_wins_over_a_searched_range():
    hm = InceptionHyperModel(
        "inception_v4", classes=10, image_size=75,
        space={"width_multiplier": (0.25, 1.0, 0.25), "blocks_17x17": (1, 7)},
        fixed={"width_multiplier": 0.125, "dropout_rate": 0.3})
    hp = keras_tuner.HyperParameters()
    values = hm.values(hp)
    assert values["width_multiplier"] == 0.125
    assert values["dropout_rate"] == 0.3
    kinds = {p.name: type(p) for p in hp.space}
    assert kinds["width_multiplier"] is keras_tuner.engine.hyperparameters.Fixed
    assert kinds["blocks_17x17"] is keras_tuner.engine.hyperparameters.Int
    config = hm.train_config(values, "o")
    assert (config.width_multiplier, config.dropout_rate) == (0.125, 0.3)


TUNE_CLI_ERRORS = [
    (["--search", "depth"], "unknown hyperparameter 'depth'"),
    (["--search", "width_multiplier=0.5:0.25"], "empty range"),
    (["--max-trials", "0"], "--max-trials must be a positive integer"),
    (["--max-gmacs", "0.000001"], "no configuration"),
    (["--fixed", "width_multiplier=wide"], "is not a number"),
]


def test_tune_cli_refuses_bad_input_before_searching(tmp_path, tiny_dir,
                                                     capsys):
    from keras_inception.cli import main
    output = tmp_path / "never"
    for extra, match in TUNE_CLI_ERRORS:
        assert main(tune_args(tiny_dir, str(output), *extra)) == 2, extra
        err = capsys.readouterr().err
        assert match in err, (extra, err[-2000:])
        assert "Traceback" not in err
        assert not output.exists(), extra
