"""Small trained networks of every generation, shipped for the export tests.

``tools/train_export_fixtures.py`` trains them (width 0.125, 75 px unless
the index entry says otherwise, on the embedded ``inception_shapes``) and
writes ``tests/data/trained/``; this module rebuilds them and draws the
images they are checked on.
"""

import json
import os

import numpy as np

import keras_inception
from keras_inception.data import transforms as data
from keras_inception.data import shapes

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                        "trained")
INDEX = os.path.join(FIXTURES, "index.json")
# What every fixture is built with; its input size is in its index entry
# (75 px unless a generation needed more to learn the task).
WIDTH = 0.125
IMAGE_SIZE = 75


def fixture_path(name):
    return os.path.join(FIXTURES, f"{name}.npz")


def index():
    with open(INDEX) as f:
        return json.load(f)


def image_size(name):
    """The input side fixture ``name`` was trained at."""
    return index()[name]["image_size"]


def trained_model(name):
    """The shipped network ``name``, its weights loaded by variable path.

    Raises AssertionError naming the variables that do not match, so a
    builder change that renames or reshapes layers says which fixture to
    retrain.
    """
    size = image_size(name)
    model = keras_inception.get_model(
        name, input_shape=(size, size, 3), classes=shapes.NUM_CLASSES,
        width_multiplier=WIDTH,
        **({"aux_logits": False} if keras_inception.get_model_info(
            name).aux else {}))
    with np.load(fixture_path(name)) as stored:
        arrays = {k: stored[k] for k in stored.files}
    paths = {v.path for v in model.weights}
    mismatch = sorted(paths ^ set(arrays)) + sorted(
        v.path for v in model.weights
        if v.path in arrays and arrays[v.path].shape != tuple(v.shape))
    assert not mismatch, (
        f"{name}: the shipped weights do not fit the builder (first "
        f"mismatches: {mismatch[:5]}); rerun tools/train_export_fixtures.py "
        f"--models {name}")
    for v in model.weights:
        v.assign(arrays[v.path].astype(np.float32))
    return model


def validation_images(count=64, size=IMAGE_SIZE):
    """The first ``count`` validation images of ``inception_shapes`` (64
    px), resized to ``size`` as training evaluated them: float32 0-255
    ``(count, size, size, 3)`` and their labels."""
    images, labels = shapes.generate_examples("validation", count)
    resized = np.stack([
        data.eval_transform(image, image_size=size,
                            central_fraction=1.0).numpy()
        for image in images])
    return resized, labels


# The shipped GoogLeNet (width 0.125, 75 px, 96.1% validation top-1 after
# 15 epochs) made into a run folder by the package's own runner: one more
# epoch from its weights at a small learning rate, so that export, predict,
# evaluate and the demo's deployment read a real run (config, best/last
# weights, summary) without training GoogLeNet from scratch in a test.
TRAINED_NAME = "inception_v1"
TRAINED_SIZE = image_size(TRAINED_NAME)
TRAINED = dict(model=TRAINED_NAME, dataset="default", width_multiplier=WIDTH,
               image_size=TRAINED_SIZE, aux_logits=False, epochs=1,
               batch_size=200, recipe="modern_adamw", learning_rate=1e-4,
               warmup_epochs=0, label_smoothing=0.0, jit_compile=False,
               verbose=0)


def make_trained_run(root):
    """The run folder ``<root>/shapes_v1`` (TFDS data in ``<root>/tfds``)."""
    from keras_inception.training.runner import TrainConfig, train
    run = os.path.join(root, "shapes_v1")
    summary = train(TrainConfig(output=run,
                                data_dir=os.path.join(root, "tfds"),
                                **TRAINED),
                    initial_weights=trained_model(TRAINED_NAME).get_weights())
    assert summary["best_val_top1"] > 0.9
    return run
