"""How much of ``inception_shapes`` a linear model on raw pixels can learn,
beside what an Inception run on the same data reached.

Trains multinomial logistic regression (one softmax ``Dense`` layer on the
flattened pixels scaled to [0, 1], Adam, early stopping on validation) on
the embedded dataset's train split and reports its best validation
accuracy. With ``--run runs/demo`` (a folder written by ``keras-inception
train``, e.g. by ``make demo``) it prints that run's validation top-1 beside
it and the gap in points, against the 30 points the embedded dataset must
leave between the two (a linear model must not solve it). ``make demo`` runs
this after training.

    python benchmarks/baseline_logreg.py --run runs/demo
    python benchmarks/baseline_logreg.py --config 96 --data-dir /tmp/tfds

The dataset is read from (or generated into) ``--data-dir``, TFDS's default
folder unless given, as ``keras-inception train`` does.

Measured on a shared 2-core CPU (inception_shapes/64 v1.0.0, 6000 train /
1000 validation): logistic regression reaches 10-15% validation accuracy
(13.9% in ``make demo``, whose GoogLeNet run reached 95.7%: a gap of 81.8
points), chance being 10%.
"""

import argparse
import json
import os
import sys
import time

from keras_inception.utils.quiet import quiet_tensorflow

# Our lines only on a newcomer's screen, as the command line does it (before
# TensorFlow is imported).
_FILTER = quiet_tensorflow(verbose=False)

import keras  # noqa: E402
import tensorflow_datasets as tfds  # noqa: E402

import keras_inception.data.shapes  # noqa: E402,F401  (registers the builder)


def load(config, data_dir):
    """Builds ``inception_shapes/<config>`` and returns its two splits."""
    builder = tfds.builder(f"inception_shapes/{config}", data_dir=data_dir)
    start = time.perf_counter()
    builder.download_and_prepare()
    where = data_dir or "TFDS's default folder"
    print(f"dataset inception_shapes/{config} ready in {where} "
          f"({time.perf_counter() - start:.1f} s)", flush=True)
    splits = {}
    for split in ("train", "validation"):
        ds = builder.as_dataset(split=split, batch_size=-1, as_supervised=True)
        splits[split] = tuple(tfds.as_numpy(ds))
    return splits, builder.info.features["label"].names


def train_logreg(splits, classes, args):
    """Softmax regression on pixels in [0, 1]; returns best val accuracy."""
    (x, y), (xv, yv) = splits["train"], splits["validation"]
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    xv = xv.reshape(len(xv), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(x.shape[1:]),
        keras.layers.Dense(classes, activation="softmax", name="logreg"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(args.logreg_lr),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(
        "val_accuracy", patience=args.logreg_patience,
        restore_best_weights=True)
    history = model.fit(x, y, batch_size=128, epochs=args.logreg_epochs,
                        validation_data=(xv, yv), callbacks=[stop],
                        verbose=0)
    train_accuracy = max(history.history["accuracy"])
    accuracy = max(history.history["val_accuracy"])
    print(f"logistic regression: train {train_accuracy:.4f}, validation "
          f"{accuracy:.4f} after {len(history.history['loss'])} epochs",
          flush=True)
    return accuracy


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="64",
                        help="inception_shapes config (64, 96, tiny)")
    parser.add_argument("--data-dir", default=None,
                        help="TFDS data dir (default: TFDS's own)")
    parser.add_argument("--logreg-epochs", type=int, default=50)
    parser.add_argument("--logreg-lr", type=float, default=1e-3)
    parser.add_argument("--logreg-patience", type=int, default=10,
                        help="early-stopping patience (epochs without a "
                             "better validation accuracy)")
    parser.add_argument("--run", default=None,
                        help="a keras-inception run folder whose validation "
                             "top-1 to compare with")
    parser.add_argument("--required-gap", type=float, default=30.0,
                        help="points the run must be above the baseline")
    parser.add_argument("--seed", type=int, default=0,
                        help="Keras seed (weights and shuffling)")
    return parser.parse_args(argv)


def run_accuracy(run):
    """The final validation top-1 in a run folder's summary.json."""
    with open(os.path.join(run, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    return summary["val_top1"], summary


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    splits, names = load(args.config, args.data_dir)
    classes = len(names)
    print(f"{len(splits['train'][1])} train / "
          f"{len(splits['validation'][1])} validation examples, "
          f"{classes} classes, chance {1 / classes:.1%}", flush=True)
    print(f"training logistic regression (at most {args.logreg_epochs} "
          "epochs, early stopping on validation accuracy)", flush=True)
    logreg = train_logreg(splits, classes, args)
    print(f"baseline: logistic regression on raw pixels reaches "
          f"{100 * logreg:.1f}% validation accuracy", flush=True)
    if args.run is None:
        return 0
    inception, summary = run_accuracy(args.run)
    gap = 100 * (inception - logreg)
    verdict = "OK" if gap >= args.required_gap else "TOO SMALL"
    print(f"{summary['model']} run {args.run}: {100 * inception:.1f}% "
          f"validation top-1 -> gap {gap:.1f} points (required >= "
          f"{args.required_gap:.0f}: {verdict})", flush=True)
    return 0 if gap >= args.required_gap else 1


if __name__ == "__main__":
    sys.exit(main())
