"""One worker of the multi-worker test in ``test_distribute.py``.

Run by :func:`keras_inception.distribute.launch`, which sets ``TF_CONFIG``:
builds a small GoogLeNet in ``MultiWorkerMirroredStrategy``'s scope, fits
it for a few steps on a seeded in-memory dataset and writes
``OUT_DIR/worker<i>.npz`` (final weights) and ``OUT_DIR/worker<i>.json``
(losses and checks).

Usage: ``python tests/_mw_worker.py OUT_DIR [--unfixed]``

``--unfixed`` first shows keras#20585: it fits the plain model, then a
model with only the symbolic-build correction (so that the log reduction
fails on its own), and records both errors (both fail before any collective
runs, so the corrected run that follows is unaffected).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_inception import get_model  # noqa: E402
from keras_inception import distribute  # noqa: E402
from keras_inception.distribute import multi_worker  # noqa: E402
from keras_inception.training.compiling import compile_for_training  # noqa: E402

GLOBAL_BATCH = 16
STEPS = 4
EPOCHS = 3
SIZE = 32
CLASSES = 4


class BuildOnly(distribute.MultiWorkerModel):
    """The correction of the symbolic build alone (logs left to Keras)."""

    def _vector_logs(self, logs, kind):
        return logs


def small_model():
    # GoogLeNet without batch norm: Keras 3 updates BN's moving statistics
    # per replica (aggregation "none"), so they differ across workers.
    return get_model("inception_v1", input_shape=(SIZE, SIZE, 3),
                     classes=CLASSES, width_multiplier=0.25, weights=None,
                     batch_norm=False, dropout_rate=0.0)


def dataset():
    rng = np.random.default_rng(0)
    n = GLOBAL_BATCH * STEPS
    y = rng.integers(0, CLASSES, size=n).astype("int32")
    x = rng.normal(size=(n, SIZE, SIZE, 3)).astype("float32")
    x[..., 0] += y[:, None, None]   # a learnable signal
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    return ds.repeat().with_options(options)


def compiled(model):
    compile_for_training(model, "googlenet", steps_per_epoch=STEPS,
                         learning_rate=0.02)
    return model


def unfixed(strategy):
    """The errors of keras#20585 (None where Keras trains)."""
    errors = {}
    for fix in ("none", "build_only"):
        with strategy.scope():
            model = small_model()
            if fix == "build_only":
                model = multi_worker._wrap(model, strategy, BuildOnly)
            compiled(model)
        try:
            model.fit(dataset(), epochs=1, steps_per_epoch=2, verbose=2)
            errors[fix] = None
        except Exception as err:   # recorded for the test
            errors[fix] = f"{type(err).__name__}: {err}"[:2000]
            print(f"fix={fix}: {errors[fix][:300]}", flush=True)
    return errors


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--unfixed", action="store_true")
    args = parser.parse_args(argv)

    strategy = distribute.get_strategy("multi_worker")
    task_type, task_id, is_chief = distribute.task_info(strategy)
    per_replica = distribute.check_global_batch(GLOBAL_BATCH, strategy)
    print(f"task {task_type}:{task_id} chief={is_chief} replicas="
          f"{strategy.num_replicas_in_sync} per-replica batch {per_replica}",
          flush=True)
    errors = unfixed(strategy) if args.unfixed else None

    keras.utils.set_random_seed(0)   # the same initial weights everywhere
    with strategy.scope():
        model = small_model()
        trained = compiled(distribute.for_strategy(model, strategy))
    history = trained.fit(dataset(), epochs=EPOCHS, steps_per_epoch=STEPS,
                          verbose=2)
    results = trained.evaluate(dataset(), steps=2, verbose=0,
                               return_dict=True)

    prefix = os.path.join(args.out_dir, f"worker{task_id}")
    np.savez(prefix + ".npz", *[v.numpy() for v in trained.weights])
    report = {
        "class": type(trained).__name__,
        "name": trained.name,
        "original_name": model.name,
        "losses": [float(v) for v in history.history["loss"]],
        "evaluate": {k: float(v) for k, v in results.items()},
        "shared_layers": (len(trained.layers) == len(model.layers) and all(
            a is b for a, b in zip(trained.layers, model.layers))),
        "task": [task_type, task_id, is_chief],
        "errors": errors,
    }
    # save_weights files of the trained (wrapped) model load into a plain
    # model built outside any strategy, and the other way round.
    trained.save_weights(prefix + ".weights.h5")
    plain = small_model()
    plain.load_weights(prefix + ".weights.h5")
    report["plain_from_wrapped"] = max(
        float(np.max(np.abs(a.numpy() - b.numpy())))
        for a, b in zip(plain.weights, trained.weights))
    plain.set_weights([2 * w for w in plain.get_weights()])
    plain.save_weights(prefix + ".plain.weights.h5")
    trained.load_weights(prefix + ".plain.weights.h5")
    report["wrapped_from_plain"] = max(
        float(np.max(np.abs(a.numpy() - b.numpy())))
        for a, b in zip(plain.weights, trained.weights))

    try:   # a model built outside the scope is refused
        distribute.for_strategy(plain, strategy)
        report["outside_scope_error"] = None
    except ValueError as err:
        report["outside_scope_error"] = str(err)

    with open(prefix + ".json", "w") as f:
        json.dump(report, f)
    print("done", json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
