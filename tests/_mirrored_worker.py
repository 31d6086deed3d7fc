"""The MirroredStrategy check of ``test_distribute.py``, in a fresh process.

Splits the CPU into two logical devices (possible only before TensorFlow
initialises its devices, hence a process of its own), trains a small
GoogLeNet under ``MirroredStrategy`` over both and again on one device from
the same initial weights and global batches, and prints one JSON line:
whether every replica holds the same weights, and the largest weight
difference to the one-device run.

Usage: ``python tests/_mirrored_worker.py [--batch-norm]``
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
from keras_inception.training.compiling import compile_for_training  # noqa: E402

GLOBAL_BATCH = 16
STEPS = 4
SIZE = 32
CLASSES = 4


def build(batch_norm):
    # No dropout: its masks are random per replica.
    return get_model("inception_v1", input_shape=(SIZE, SIZE, 3),
                     classes=CLASSES, width_multiplier=0.25, weights=None,
                     batch_norm=batch_norm, dropout_rate=0.0)


def train(strategy, batch_norm, initial, x, y):
    with strategy.scope():
        model = distribute.for_strategy(build(batch_norm), strategy)
        if initial is not None:
            model.set_weights(initial)
        start = [w.numpy() for w in model.weights]
        compile_for_training(model, "googlenet", steps_per_epoch=STEPS,
                             learning_rate=0.05)
    distribute.check_global_batch(GLOBAL_BATCH, strategy)
    history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=1,
                        shuffle=False, verbose=0)
    return model, start, history.history["loss"]


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-norm", action="store_true")
    args = parser.parse_args(argv)

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    mirrored = distribute.get_strategy("mirrored",
                                       devices=["/cpu:0", "/cpu:1"])
    one = distribute.get_strategy("one_device", devices=["/cpu:0"])

    rng = np.random.default_rng(0)
    y = rng.integers(0, CLASSES, size=GLOBAL_BATCH * STEPS)
    x = rng.normal(size=(len(y), SIZE, SIZE, 3)).astype("float32")
    x[..., 0] += y[:, None, None]   # a learnable signal

    keras.utils.set_random_seed(0)
    model, initial, loss = train(mirrored, args.batch_norm, None, x, y)
    replica_diff = 0.0
    for weight in model.weights:
        values = mirrored.experimental_local_results(weight.value)
        replica_diff = max([replica_diff] + [
            float(np.max(np.abs(v.numpy() - values[0].numpy())))
            for v in values])
    reference, start, ref_loss = train(one, args.batch_norm, initial, x, y)
    start_diff = max(float(np.max(np.abs(a - b)))
                     for a, b in zip(initial, start))
    diffs = [float(np.max(np.abs(a.numpy() - b.numpy())))
             for a, b in zip(model.weights, reference.weights)]
    moved = max(float(np.max(np.abs(a.numpy() - b)))
                for a, b in zip(reference.weights, initial))
    print(json.dumps({
        "replicas": mirrored.num_replicas_in_sync,
        "local_values": len(mirrored.experimental_local_results(
            model.weights[0].value)),
        "replica_diff": replica_diff,
        "start_diff": start_diff,
        "max_diff": max(diffs),
        "moved": moved,
        "loss": loss, "reference_loss": ref_loss,
    }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
