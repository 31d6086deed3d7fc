"""Trains the small per-generation networks that the export tests ship.

Issue 4 asks that fp16 and dynamic-range TFLite agree with Keras on >= 99%
of 64 images for every generation. On a randomly initialised network that
figure tests the seed (its class scores sit within quantization noise of
each other), and training all seven generations costs far more CPU time than
CI has. So this tool trains each generation once -- width 0.125, 75 px, on
the embedded ``inception_shapes`` through the package's own runner -- and
writes its weights (float16, by variable path) to
``tests/data/trained/<name>.npz`` with a record in ``index.json``; the tests
load them and check every exported artifact in its own runtime.

Rerun it when a builder's layer names or shapes change (the test then fails
to load the weights and says so)::

    python tools/train_export_fixtures.py                   # all generations
    python tools/train_export_fixtures.py --models inception_v2 --image-size 107

``--report N`` trains nothing: it exports the shipped fixtures as fp16 and
dynamic-range TFLite and prints, per generation, Keras's top-1 and each
file's top-1 agreement and accuracy drop on the first N validation images
(the README's table).
"""

import argparse
import json
import tempfile
import logging
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import keras_inception  # noqa: E402
from keras_inception.utils import atomic as _io  # noqa: E402
from keras_inception.training import runner
from keras_inception.deploy import export  # noqa: E402
from keras_inception.data import shapes  # noqa: E402
from tests.trained_fixtures import (FIXTURES, IMAGE_SIZE, INDEX,  # noqa: E402
                                    WIDTH, fixture_path, image_size,
                                    trained_model, validation_images)

# Training: the modern recipe without label smoothing (smoothing caps the
# margins between class scores, which is what quantization eats into).
TRAINING = dict(dataset="default", batch_size=64, recipe="modern_adamw",
                warmup_epochs=1, label_smoothing=0.0,
                aux_logits=False, jit_compile=False, seed=0, verbose=2)


def save_weights(model, path):
    """Writes ``model``'s variables as float16 arrays keyed by path."""
    arrays = {v.path: np.asarray(v.numpy(), np.float16)
              for v in model.weights}
    if len(arrays) != len(model.weights):
        raise RuntimeError(f"{model.name}: variable paths are not unique")
    tmp = f"{path}.partial.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def report(names, count):
    """Prints the quantized agreement of the shipped fixtures on ``count``
    validation images, measured by ``export`` in ai-edge-litert."""
    print(f"| generation | input | val top-1 (Keras, {count} images) | "
          "fp16 agreement | dynamic agreement | dynamic accuracy drop |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        size = image_size(name)
        images, labels = validation_images(count, size)
        with tempfile.TemporaryDirectory() as tmp:
            result = export.export(
                trained_model(name), tmp, "tflite",
                quantize="fp16,dynamic", class_names=list(shapes.CLASS_NAMES),
                validation_data=[(images, labels)], central_fraction=1.0,
                parity_images=64, evaluation_images=count)
        acc = {q: result.manifest["artifacts"][f"tflite_{q}"]["accuracy"]
               for q in ("fp16", "dynamic")}
        print(f"| {name} | {size} | {100 * acc['fp16']['keras_top1']:.1f}% "
              f"| {100 * acc['fp16']['top1_agreement']:.1f}% "
              f"| {100 * acc['dynamic']['top1_agreement']:.1f}% "
              f"| {acc['dynamic']['accuracy_drop_points']:+.1f} |",
              flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+",
                        default=keras_inception.list_models())
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs",
                                                       "fixtures"))
    parser.add_argument("--resume-fixture", action="store_true",
                        help="start from the shipped weights instead of a "
                        "fresh initialisation (more epochs for a fixture "
                        "that has not converged)")
    parser.add_argument("--report", type=int, metavar="N",
                        help="train nothing; print the fixtures' quantized "
                        "agreement on N validation images")
    args = parser.parse_args(argv)
    if args.report:
        return report(args.models, args.report)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.makedirs(FIXTURES, exist_ok=True)
    for name in args.models:
        start = time.time()
        config = runner.TrainConfig(
            model=name, output=os.path.join(args.runs, name),
            epochs=args.epochs, overwrite=True,
            data_dir=os.path.join(args.runs, "tfds"),
            width_multiplier=WIDTH, image_size=args.image_size,
            learning_rate=args.learning_rate, **TRAINING)
        previous = (_io.read_json(INDEX) or {}).get(name)
        initial = None
        if args.resume_fixture:
            if previous is None:
                parser.error(f"--resume-fixture: {name} has no fixture yet")
            initial = trained_model(name).get_weights()
        summary = runner.train(config, initial_weights=initial)
        model, *_ = runner.load_run(config.output)
        save_weights(model, fixture_path(name))
        index = _io.read_json(INDEX) or {}     # another run may have added
        index[name] = {
            "epochs": args.epochs, "width_multiplier": WIDTH,
            "image_size": args.image_size,
            "learning_rate": args.learning_rate, **TRAINING,
            "best_val_top1": round(float(summary["best_val_top1"]), 4),
            "parameters": int(model.count_params()),
            "train_seconds": round(time.time() - start, 1)}
        if initial is not None:
            index[name]["continued_from"] = previous
        _io.write_text(INDEX, json.dumps(index, indent=1, sort_keys=True)
                       + "\n")
        print(f"{name}: best val top-1 {summary['best_val_top1']:.4f}, "
              f"{model.count_params():,} parameters, "
              f"{time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
