"""Distributed training: TF_CONFIG, strategies, the local launcher and the
multi-worker correction of keras-team/keras#20585.

Strategies that must own a fresh TensorFlow runtime (two logical CPUs for
``MirroredStrategy``, ``MultiWorkerMirroredStrategy`` across two worker
processes) run in subprocesses: ``_mirrored_worker.py`` and
``_mw_worker.py``. They start in background threads as the module starts
(only those the selected tests need): building and tracing the models is
mostly single-threaded, so they overlap each other and the in-process tests,
and the file stays under two minutes on two cores.
"""

import io
import json
import os
import subprocess
import sys
import textwrap
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_inception import get_model
from keras_inception import distribute
from keras_inception.distribute import multi_worker

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHILD_ENV = {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}


def _tf_config(cluster, task_type="worker", index=0):
    return json.dumps({"cluster": cluster,
                       "task": {"type": task_type, "index": index}})


# --------------------------------------------------------------------------
# parse_tf_config
# --------------------------------------------------------------------------
def test_parse_tf_config_valid_worker_only_and_chief():
    workers = {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}
    config = distribute.parse_tf_config(_tf_config(workers, index=1))
    assert config["cluster"] == workers
    assert config["task"] == {"type": "worker", "index": 1}

    chief = {"chief": ["host0:2222"], "worker": ["host1:2222", "host2:2222"]}
    config = distribute.parse_tf_config(_tf_config(chief, "chief", 0))
    assert config["task"]["type"] == "chief"


def test_parse_tf_config_reads_environment(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.parse_tf_config() is None
    monkeypatch.setenv("TF_CONFIG", "  ")
    assert distribute.parse_tf_config() is None
    monkeypatch.setenv("TF_CONFIG", _tf_config({"worker": ["a:1"]}))
    assert distribute.parse_tf_config()["cluster"] == {"worker": ["a:1"]}


@pytest.mark.parametrize("text, message", [
    ("{'cluster': ", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"task": {"type": "worker", "index": 0}}', "no 'cluster'"),
    (_tf_config({"ps": ["a:1"]}, "ps"), "no 'worker'"),
    (_tf_config({"worker": ["a:1", "b:1"]}, index=2),
     "task index 2 is out of range"),
    (_tf_config({"worker": ["a:1"]}, "chief"),
     "task type 'chief' is not a job"),
    (_tf_config({"worker": ["host1", "b:1"]}), "'host1' is not 'host:port'"),
    (_tf_config({"worker": ["a:99999"]}), "port in 1..65535"),
    (_tf_config({"worker": []}), "non-empty list"),
    (_tf_config({"worker": ["a:1", "a:1"]}), "its own host:port"),
    (_tf_config({"chief": ["a:1", "b:1"]}, "chief"), "one task"),
    (json.dumps({"cluster": {"worker": ["a:1"]}}), "no 'task'"),
    (_tf_config({"worker": ["a:1"]}, index="0"), "must be an integer"),
])
def test_parse_tf_config_malformed(text, message):
    with pytest.raises(ValueError) as info:
        distribute.parse_tf_config(text)
    assert message in str(info.value)
    # Every message shows a correct TF_CONFIG to copy.
    assert "Invalid TF_CONFIG" in str(info.value)
    assert '"task": {"type": "worker", "index": 0}' in str(info.value)


# --------------------------------------------------------------------------
# get_strategy, check_global_batch, task_info
# --------------------------------------------------------------------------
def test_get_strategy_unknown_name_lists_choices():
    with pytest.raises(ValueError) as info:
        distribute.get_strategy("horovod")
    assert all(name in str(info.value) for name in distribute.STRATEGIES)


def test_get_strategy_multi_worker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG.*launch --workers"):
        distribute.get_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(ValueError, match="Invalid TF_CONFIG"):
        distribute.get_strategy("multi-worker")


def test_get_strategy_tpu_without_tpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="No TPU available") as info:
        distribute.get_strategy("tpu")
    assert not isinstance(info.value, tf.errors.OpError)
    assert info.value.__suppress_context__   # no TensorFlow traceback


def test_get_strategy_single_device(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    one = distribute.get_strategy("one_device")
    assert isinstance(one, tf.distribute.OneDeviceStrategy)
    assert one.num_replicas_in_sync == 1
    assert distribute.get_strategy("auto").num_replicas_in_sync == 1
    # A TF_CONFIG of one task is not a multi-worker cluster.
    monkeypatch.setenv("TF_CONFIG", _tf_config({"worker": ["a:1"]}))
    auto = distribute.get_strategy("auto")
    assert not isinstance(auto, tf.distribute.MultiWorkerMirroredStrategy)
    assert auto.num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="one device"):
        distribute.get_strategy("one_device", devices=["/cpu:0", "/cpu:1"])


def test_check_global_batch():
    # Only `num_replicas_in_sync` is read; real two-replica strategies run
    # it in _mirrored_worker.py and _mw_worker.py.
    two = types.SimpleNamespace(num_replicas_in_sync=2)
    assert distribute.check_global_batch(8, two) == 4
    assert distribute.check_global_batch(
        8, tf.distribute.get_strategy()) == 8
    with pytest.raises(ValueError, match=r"`batch_size` \(3\) must be a "
                                         r"multiple of the 2 replicas"):
        distribute.check_global_batch(3, two)
    with pytest.raises(ValueError, match=r"`batch_size` \(1\)"):
        distribute.check_global_batch(1, two)
    with pytest.raises(ValueError, match="`batch_size`"):
        distribute.check_global_batch(0, two)
    with pytest.raises(TypeError, match="`batch_size`"):
        distribute.check_global_batch(8.0, two)


def test_task_info(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.task_info() == ("worker", 0, True)
    workers = {"worker": ["a:1", "b:1"]}
    monkeypatch.setenv("TF_CONFIG", _tf_config(workers, index=1))
    assert distribute.task_info() == ("worker", 1, False)
    monkeypatch.setenv("TF_CONFIG", _tf_config(workers, index=0))
    assert distribute.task_info() == ("worker", 0, True)
    chief = {"chief": ["c:1"], "worker": ["a:1"]}
    monkeypatch.setenv("TF_CONFIG", _tf_config(chief, "worker", 0))
    assert distribute.task_info() == ("worker", 0, False)
    monkeypatch.setenv("TF_CONFIG", _tf_config(chief, "chief", 0))
    assert distribute.task_info() == ("chief", 0, True)
    # A single-process strategy is the chief whatever TF_CONFIG says.
    assert distribute.task_info(tf.distribute.get_strategy()) == (
        "worker", 0, True)


# --------------------------------------------------------------------------
# launch
# --------------------------------------------------------------------------
def _launch(script, num_workers=2, **kwargs):
    out = io.StringIO()
    command = [sys.executable, "-c", textwrap.dedent(script)]
    return distribute.launch(num_workers, command, stream=out,
                             **kwargs), out.getvalue()


def test_launch_sets_tf_config_and_prefixes_output(monkeypatch):
    # Unset here, so the workers get the launcher's default ("2").
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    code, out = _launch("""
        import json, os
        config = json.loads(os.environ["TF_CONFIG"])
        print(config["task"]["index"], ",".join(config["cluster"]["worker"]),
              os.environ["TF_CPP_MIN_LOG_LEVEL"], os.environ["EXTRA"])
        print("second line")
    """, env={"EXTRA": "x"})
    assert code == 0
    by_worker = {0: [], 1: []}
    for line in out.splitlines():
        prefix, _, text = line.partition("] ")
        by_worker[int(prefix.removeprefix("[worker "))].append(text)
    clusters = set()
    for index, (first, second) in by_worker.items():
        task, cluster, level, extra = first.split()
        assert (int(task), level, extra, second) == (
            index, "2", "x", "second line")
        clusters.add(cluster)
    assert len(clusters) == 1   # the same cluster for both workers
    ports = [address.split(":")[1] for address in clusters.pop().split(",")]
    assert len(set(ports)) == 2


def test_launch_failing_worker_terminates_the_others(tmp_path):
    start = time.monotonic()
    code, out = _launch(f"""
        import json, os, sys, time
        index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
        if index == 1:
            time.sleep(0.5)
            print("worker 1 fails")
            sys.exit(3)
        open(r"{tmp_path / 'pid'}", "w").write(str(os.getpid()))
        print("worker 0 waits", flush=True)
        time.sleep(60)
    """, timeout=50)
    assert code == 3
    assert time.monotonic() - start < 30
    assert "[worker 1] worker 1 fails" in out
    assert "[worker 0] worker 0 waits" in out
    with pytest.raises(ProcessLookupError):   # terminated and reaped
        os.kill(int((tmp_path / "pid").read_text()), 0)


def test_launch_timeout_and_bad_arguments():
    with pytest.raises(TimeoutError):
        _launch("import time; time.sleep(30)", timeout=1)
    with pytest.raises(ValueError, match="`num_workers` must be >= 1"):
        distribute.launch(0, [sys.executable, "-c", "pass"])
    with pytest.raises(TypeError, match="argv"):
        distribute.launch(2, "python train.py")


# --------------------------------------------------------------------------
# for_strategy, in this process (single device)
# --------------------------------------------------------------------------
def _small_googlenet():
    return get_model("inception_v1", input_shape=(32, 32, 3), classes=4,
                     width_multiplier=0.25, weights=None)


def test_for_strategy_unchanged_outside_multi_worker():
    model = _small_googlenet()
    for strategy in (tf.distribute.get_strategy(),
                     tf.distribute.OneDeviceStrategy("/cpu:0")):
        assert distribute.for_strategy(model, strategy) is model
    with pytest.raises(TypeError, match="keras.Model"):
        distribute.for_strategy("model", tf.distribute.get_strategy())


def test_wrapper_shares_layers_and_weight_files(tmp_path):
    default = tf.distribute.get_strategy()
    model = _small_googlenet()
    wrapped = multi_worker._wrap(model, default)
    assert isinstance(wrapped, distribute.MultiWorkerModel)
    assert wrapped.name == model.name
    assert len(wrapped.layers) == len(model.layers)
    assert all(a is b for a, b in zip(wrapped.layers, model.layers))
    assert all(a is b for a, b in zip(wrapped.weights, model.weights))

    def assert_same_weights(a, b):
        for x, y in zip(a.weights, b.weights, strict=True):
            np.testing.assert_array_equal(x.numpy(), y.numpy())

    # Original -> wrapped and wrapped -> original, through the files.
    other = _small_googlenet()
    other_wrapped = multi_worker._wrap(other, default)
    model.save_weights(tmp_path / "original.weights.h5")
    other_wrapped.load_weights(tmp_path / "original.weights.h5")
    assert_same_weights(other, model)
    model.set_weights([2 * w for w in model.get_weights()])
    wrapped.save_weights(tmp_path / "wrapped.weights.h5")
    other.load_weights(tmp_path / "wrapped.weights.h5")
    assert_same_weights(other, model)


def test_wrapper_is_keras_outside_multi_worker():
    """Without a multi-worker strategy every override is Keras's method:
    the wrapped and the plain model train to the same scalar logs."""
    def tiny():
        keras.utils.set_random_seed(1)
        inputs = keras.Input((4,))
        outputs = keras.layers.Dense(3, activation="softmax")(inputs)
        model = keras.Model(inputs, outputs, name="tiny")
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = np.arange(8) % 3
    plain = tiny()
    wrapped = multi_worker._wrap(tiny(), tf.distribute.get_strategy())
    wrapped.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    logs = [m.train_on_batch(x, y, return_dict=True)
            for m in (plain, wrapped)]
    assert logs[0] == logs[1]
    assert all(isinstance(v, float) for v in logs[1].values())


def test_keras_methods_checked(monkeypatch):
    multi_worker._check_keras()   # this Keras has what the overrides expect
    monkeypatch.setattr(multi_worker, "_checked", [])
    monkeypatch.setattr(keras.Model, "make_train_function",
                        lambda self: None)
    with pytest.raises(RuntimeError, match="make_train_function"):
        multi_worker._check_keras()


# --------------------------------------------------------------------------
# Real strategies, in subprocesses
# --------------------------------------------------------------------------
def _run_mirrored(tmp_path_factory):
    proc = subprocess.run(
        [sys.executable, str(HERE / "_mirrored_worker.py")], cwd=ROOT,
        capture_output=True, text=True, timeout=240,
        env={**os.environ, **CHILD_ENV})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _run_multi_worker(tmp_path_factory):
    """Two MultiWorkerMirroredStrategy workers on localhost via launch():
    first without the correction (errors recorded), then fitted through
    for_strategy."""
    out_dir = tmp_path_factory.mktemp("multi_worker")
    stream = io.StringIO()
    code = distribute.launch(
        2, [sys.executable, str(HERE / "_mw_worker.py"), str(out_dir),
            "--unfixed"], env=CHILD_ENV, timeout=240, stream=stream)
    output = stream.getvalue()
    assert code == 0, output[-3000:]
    reports = [json.loads((out_dir / f"worker{i}.json").read_text())
               for i in range(2)]
    weights = [dict(np.load(out_dir / f"worker{i}.npz")) for i in range(2)]
    return types.SimpleNamespace(output=output, reports=reports,
                                 weights=weights)


# Prefix of the tests -> the background run they read.
_RUNS = {"test_mirrored_": _run_mirrored, "test_mw_": _run_multi_worker}


@pytest.fixture(scope="module", autouse=True)
def runs(request, tmp_path_factory):
    """Futures of the subprocess runs the selected tests of this module
    need, started at once (see the module docstring)."""
    selected = [item.name for item in request.session.items
                if item.path == request.path]
    with ThreadPoolExecutor(max_workers=len(_RUNS)) as pool:
        yield {prefix: pool.submit(run, tmp_path_factory)
               for prefix, run in _RUNS.items()
               if any(name.startswith(prefix) for name in selected)}


def test_mirrored_two_cpus_matches_one_device(runs):
    """MirroredStrategy over two logical CPUs trains GoogLeNet to the same
    weights on both replicas, and to the weights of a one-device run on the
    same global batches from the same initial weights.

    The model is ``inception_v1`` with ``batch_norm=False`` (the paper's
    GoogLeNet, LRN instead of batch norm) and no dropout: batch norm
    normalises each replica's half batch with its own statistics (and Keras
    3 keeps a moving average per replica), dropout draws masks per replica,
    so either would make the runs differ by design. Without them both runs
    compute the mean gradient of the same 16 examples, once as the sum of
    two half-batch all-reduced gradients: only float32 summation order
    differs (~1e-7 relative per step). 1e-5 is that error over 4 steps with
    ample margin, and three orders of magnitude below how far training
    moves the weights (checked > 1e-2), so a wrong gradient scale (e.g.
    summing replicas instead of averaging) could not pass.
    """
    result = runs["test_mirrored_"].result()
    assert result["replicas"] == 2 and result["local_values"] == 2
    assert result["replica_diff"] == 0.0       # the replicas agree exactly
    assert result["start_diff"] == 0.0
    assert result["moved"] > 1e-2
    assert result["max_diff"] < 1e-5
    np.testing.assert_allclose(result["loss"], result["reference_loss"],
                               rtol=1e-5)


def test_mw_fit_with_for_strategy(runs):
    run = runs["test_mw_"].result()
    first, second = run.reports
    assert first["class"] == second["class"] == "MultiWorkerModel"
    assert first["task"] == ["worker", 0, True]
    assert second["task"] == ["worker", 1, False]
    assert "[worker 0] task worker:0 chief=True replicas=2" in run.output
    assert "[worker 1] task worker:1 chief=False replicas=2" in run.output
    # Both workers log the same global means and end with the same weights.
    assert first["losses"] == second["losses"]
    assert first["evaluate"] == second["evaluate"]
    losses = first["losses"]
    assert losses[-1] < losses[0], losses
    w0, w1 = run.weights
    assert w0.keys() == w1.keys() and len(w0) > 100
    for key in w0:
        np.testing.assert_array_equal(w0[key], w1[key])


def test_mw_for_strategy_shares_layers_and_weight_files(runs):
    for report in runs["test_mw_"].result().reports:
        assert report["shared_layers"]
        assert report["name"] == report["original_name"]
        # save_weights files load both ways, exactly.
        assert report["plain_from_wrapped"] == 0.0
        assert report["wrapped_from_plain"] == 0.0
        assert "not created in strategy.scope()" in (
            report["outside_scope_error"])


def test_mw_fails_without_for_strategy(runs):
    """keras#20585: the same script without for_strategy fails, at each of
    the two places the correction overrides."""
    errors = runs["test_mw_"].result().reports[0]["errors"]
    if errors["none"] is None:
        pytest.skip(f"keras {keras.__version__} trains under "
                    "MultiWorkerMirroredStrategy: keras#20585 is fixed")
    assert "Attempt to convert a value (PerReplica" in errors["none"]
    if errors["build_only"] is None:
        pytest.skip("this Keras reduces the step logs correctly")
    assert ("Invalid reduction dimension 0 for input with 0 dimensions"
            in errors["build_only"])
