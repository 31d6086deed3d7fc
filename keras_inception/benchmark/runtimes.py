"""Every deployment runtime beside the Keras model, in one run.

:func:`run_runtimes` exports a model (a registry model, optionally with a
weights file, or a training run) into every artifact
:func:`keras_inception.export.export` writes -- the SavedModel, TFLite
fp32 / fp16 / dynamic-range / int8 and ONNX fp32 / int8 -- and measures,
beside the Keras model it came from:

* latency at batch 1 and images/s at ``batch_size``, every runtime in the
  same alternating rounds (:mod:`.timing`): the SavedModel both as a Keras
  layer (``keras.layers.TFSMLayer``) and through ``tf.saved_model.load``,
  LiteRT (with XNNPACK) and ONNX Runtime with ``threads`` CPU threads;
* each artifact's file size, and its top-1 agreement with the float32
  Keras model (and its accuracy, where the labels are the model's classes)
  on held-out images: the validation split of the run's dataset, or of
  ``dataset`` for a registry model.

The Keras model is the one the user holds, run as ``tf.function``; its
BN-folded copy (:func:`keras_inception.fold_batch_norm`) runs beside it.
:func:`runtime_ratios` reads latency and throughput against the Keras
model's, and the best float32 and int8 artifacts against the goals.

Example:
    >>> report = run_runtimes("inception_v1", image_size=75,
    ...     width_multiplier=0.125, batch_size=2, repeats=1, warmup=1,
    ...     round_seconds=0.01, runtimes=("keras", "onnx"),
    ...     agreement_images=4, calibration_images=4, progress="none")
    >>> sorted({row["implementation"] for row in report.rows})
    ['Keras', 'ONNX Runtime fp32']
"""

from __future__ import annotations

import datetime
import os
import tempfile

import numpy as np

from keras_inception.benchmark.report import Report, make_row
from keras_inception.benchmark.suite import machine
from keras_inception.benchmark.timing import Rounds, time_side_by_side
from keras_inception.deploy.verification import QUANTIZED_TARGETS
from keras_inception.data.catalog import check_dataset
from keras_inception.models import registry
from keras_inception.utils.checks import (check_choice, check_count,
                                         check_positive)
from keras_inception.utils.files import check_model_file
from keras_inception.utils.progress import MODES as PROGRESS_MODES

# (key, label, manifest artifact, precision) in the order of the table;
# "keras" is the baseline every ratio is read against.
RUNTIMES = (
    ("keras", "Keras", None, "fp32"),
    ("keras_folded", "Keras BN-folded", None, "fp32"),
    ("saved_model_layer", "SavedModel (Keras TFSMLayer)", "saved_model",
     "fp32"),
    ("saved_model", "SavedModel (tf.saved_model.load)", "saved_model",
     "fp32"),
    ("tflite", "TFLite fp32", "tflite", "fp32"),
    ("tflite_fp16", "TFLite fp16", "tflite_fp16", "fp16"),
    ("tflite_dynamic", "TFLite dynamic-range", "tflite_dynamic", "dynamic"),
    ("tflite_int8", "TFLite int8", "tflite_int8", "int8"),
    ("onnx", "ONNX Runtime fp32", "onnx", "fp32"),
    ("onnx_int8", "ONNX Runtime int8", "onnx_int8", "int8"),
)
KEYS = tuple(r[0] for r in RUNTIMES)
BASELINE = "Keras"
# The goals: the fastest float32 and int8 artifacts' batch-1 latency over
# the Keras model's (quantized agreement: verification.QUANTIZED_TARGETS).
GOALS = {"fp32": 0.67, "int8": 0.40}


_KERAS = ("keras", "keras_folded")


def _formats(keys):
    """The export formats the runtimes in ``keys`` read."""
    return [f for f in ("saved_model", "tflite", "onnx")
            if any(k.startswith(f) for k in keys)]


def _modes(keys):
    """The quantization modes they read (``None``: no TFLite, no int8)."""
    modes = [m for k, m in (("tflite", "none"), ("tflite_fp16", "fp16"),
                            ("tflite_dynamic", "dynamic"),
                            ("tflite_int8", "int8")) if k in keys]
    if "onnx_int8" in keys and "int8" not in modes:
        modes.append("int8")
    return modes or None


def _check(model, checkpoint, weights, image_size, width_multiplier,
           classes, batch_size, repeats, warmup, round_seconds, threads,
           runtimes, dataset, agreement_images, calibration_images,
           progress):
    if checkpoint is not None and weights is not None:
        raise ValueError("Give `checkpoint` (a training run) or `weights` "
                         "(a file for `model`), not both.")
    info = registry.get_model_info(model, argument="model")
    if weights is not None:
        check_model_file(weights, "weights")
    check_dataset(dataset)
    if image_size is not None:
        check_count(image_size, "image_size", minimum=info.min_size)
    check_positive(width_multiplier, "width_multiplier")
    for value, arg in ((batch_size, "batch_size"), (repeats, "repeats"),
                       (warmup, "warmup"), (classes, "classes"),
                       (agreement_images, "agreement_images"),
                       (calibration_images, "calibration_images")):
        check_count(value, arg)
    check_positive(round_seconds, "round_seconds")
    if threads is not None:
        check_count(threads, "threads")
    if isinstance(runtimes, str):
        runtimes = [r.strip() for r in runtimes.split(",") if r.strip()]
    if runtimes is None or runtimes == ["all"]:
        runtimes = list(KEYS)
    if not runtimes:
        raise ValueError(f"`runtimes` must list some of {', '.join(KEYS)}; "
                         "received none.")
    for r in runtimes:
        check_choice(r, "runtimes", KEYS)
    if "keras" not in runtimes:
        runtimes = ["keras", *runtimes]   # the baseline of every ratio
    check_choice(progress, "progress", PROGRESS_MODES)
    return info, [r for r in KEYS if r in runtimes]


def _held_out(dataset, *, image_size, central_fraction, data_dir, count,
              calibration, **split):
    """``(calibration images, held-out images, their labels, class
    names)`` of ``dataset`` at ``image_size``, float 0-255."""
    from keras_inception.deploy.arguments import take_images
    from keras_inception.deploy.export import export_data
    data = export_data(dataset, image_size=image_size,
                       central_fraction=central_fraction, data_dir=data_dir,
                       **split)
    train, _ = take_images(data.train, calibration, image_size, "dataset")
    images, labels = take_images(data.validation, count, image_size,
                                 "dataset")
    return train, images, labels, list(data.class_names)


def _source(info, checkpoint, weights, image_size, width_multiplier,
            classes, dataset, data_dir, agreement_images, calibration_images):
    """The Keras model to export and the images it is checked on."""
    if checkpoint is not None:
        from keras_inception.training import runner
        model, saved, run_dir, weights_file = runner.load_run(checkpoint)
        cfg = saved["config"]
        calibration, images, labels, names = _held_out(
            cfg["dataset"], image_size=cfg["image_size"],
            central_fraction=cfg["central_fraction"],
            data_dir=data_dir if data_dir is not None else cfg["data_dir"],
            count=agreement_images, calibration=calibration_images,
            validation_fraction=cfg["validation_fraction"], seed=cfg["seed"])
        return dict(model=model, preprocessing=saved["preprocessing"],
                    class_names=saved["class_names"],
                    central_fraction=cfg["central_fraction"],
                    name=cfg["model"], image_size=cfg["image_size"],
                    width_multiplier=cfg["width_multiplier"],
                    source=os.path.abspath(weights_file),
                    calibration=calibration, images=images, labels=labels)
    size = image_size or info.default_size
    model = registry.get_model(
        info.name, input_shape=(size, size, 3), classes=classes,
        width_multiplier=width_multiplier,
        weights=None if weights is None else os.fspath(weights),
        **({"aux_logits": False} if info.aux else {}))
    calibration, images, labels, names = _held_out(
        dataset, image_size=size, central_fraction=1.0, data_dir=data_dir,
        count=agreement_images, calibration=calibration_images)
    same_classes = len(names) == classes
    return dict(model=model, preprocessing=info.preprocessing,
                class_names=names if same_classes else None,
                central_fraction=1.0, name=info.name, image_size=size,
                width_multiplier=width_multiplier,
                source=None if weights is None else os.path.abspath(weights),
                calibration=calibration, images=images,
                labels=labels if same_classes else None)


def _contenders(keys, src, result, threads):
    """``{key: fn(images) -> probabilities}`` for each runtime."""
    import keras
    import tensorflow as tf

    from keras_inception.deploy.artifacts import load_artifact
    from keras_inception.deploy.wrapping import deployable
    from keras_inception.models.folding import fold_batch_norm

    deploy = deployable(src["model"], src["preprocessing"])
    spec = tf.TensorSpec((None, *deploy.input_shape[1:]), tf.float32)

    def traced(model):
        call = tf.function(lambda x: model(x, training=False),
                           input_signature=[spec])
        return lambda images: call(tf.constant(images)).numpy()

    runners = {}
    for key in keys:
        if key == "keras":
            runners[key] = traced(deploy)
        elif key == "keras_folded":
            runners[key] = traced(fold_batch_norm(deploy))
        elif key == "saved_model_layer":
            layer = keras.layers.TFSMLayer(result.artifact("saved_model"),
                                           call_endpoint="serving_default")
            runners[key] = lambda images, layer=layer: np.asarray(
                layer(tf.constant(images))["probabilities"])
        else:
            artifact = load_artifact(result.artifact(key),
                                     num_threads=threads)
            runners[key] = lambda images, a=artifact: a.predict(
                images, batch_size=len(images))
    return runners


def _agreement(runners, images, labels, batch_size):
    """Each runtime's top-1 agreement with the Keras model on ``images``
    (and its top-1 accuracy when ``labels`` are given)."""
    def run(fn):
        return np.concatenate([fn(images[i:i + batch_size])
                               for i in range(0, len(images), batch_size)])
    reference = run(runners["keras"]).argmax(-1)
    out = {}
    for key, fn in runners.items():
        top1 = reference if key == "keras" else run(fn).argmax(-1)
        out[key] = {"top1_agreement": float(np.mean(top1 == reference)),
                    "top1": None if labels is None else
                    float(np.mean(top1 == labels))}
    return out


def run_runtimes(model="inception_v3", *, checkpoint=None, weights=None,
                 image_size=None, width_multiplier=1.0, classes=1000,
                 batch_size=16, repeats=5, warmup=1, round_seconds=1.0,
                 threads=None, runtimes=None, dataset="default",
                 data_dir=None, agreement_images=200,
                 calibration_images=100, export_dir=None, progress="auto"):
    """Times every export runtime of one model beside the Keras model.

    Args:
        model: a registry name (ignored with ``checkpoint``).
        checkpoint: a training run (its best weights) to export instead.
        weights: a weights file for ``model`` (``None``: random weights,
            which time the same but agree by chance only).
        image_size: input side (``None``: the model's default).
        width_multiplier: the model's width (> 0).
        classes: the model's classes (with ``weights``: as trained).
        batch_size: images per throughput batch (>= 1).
        repeats: timed rounds per runtime (>= 1).
        warmup: untimed calls per runtime first (>= 1).
        round_seconds: about how long one round lasts (> 0).
        threads: CPU threads for LiteRT and ONNX Runtime (``None``: every
            core this process may use; TensorFlow keeps its own pool).
        runtimes: some of :data:`KEYS` (list or comma string; ``None`` or
            ``"all"``: every one); the Keras model is always measured.
        dataset: held-out and calibration images for a registry model
            (default: the embedded dataset, resized).
        data_dir: TFDS data folder.
        agreement_images: held-out images each runtime's top-1 agreement
            is measured on.
        calibration_images: training images that calibrate int8.
        export_dir: where the export is written and kept, as a new
            version beside any there (``None``: a temporary folder,
            removed after the run).
        progress: ``"auto"``, ``"bar"``, ``"line"`` or ``"none"``.

    Returns:
        A :class:`~keras_inception.benchmark.report.Report` whose rows
        carry ``bytes``, ``top1_agreement`` and ``threads``.

    Raises:
        TypeError, ValueError: for a bad argument, naming it, before any
            model is built.
    """
    from keras_inception.deploy import export
    from keras_inception.deploy.artifacts import default_threads

    info, keys = _check(model, checkpoint, weights, image_size,
                        width_multiplier, classes, batch_size, repeats,
                        warmup, round_seconds, threads, runtimes, dataset,
                        agreement_images, calibration_images, progress)
    threads = threads or default_threads()
    started = datetime.datetime.now(datetime.timezone.utc)
    # The model and its images first: a bad run folder or dataset fails
    # before the progress bar shows.
    src = _source(info, checkpoint, weights, image_size, width_multiplier,
                  classes, dataset, data_dir, agreement_images,
                  calibration_images)
    rounds = Rounds(2 * repeats * len(keys), progress, desc="runtimes")
    try:
        rounds.start("exporting")
        with tempfile.TemporaryDirectory() as scratch:
            result = None if set(keys) <= set(_KERAS) else export.export(
                src["model"], export_dir or scratch, _formats(keys),
                quantize=_modes(keys), name=src["name"],
                class_names=src["class_names"],
                preprocessing=src["preprocessing"],
                central_fraction=src["central_fraction"],
                calibration_data=src["calibration"],
                validation_data=None if src["labels"] is None else
                [(src["images"], src["labels"])],
                parity_images=min(16, len(src["images"])),
                calibration_images=calibration_images,
                evaluation_images=len(src["images"]))
            runners = _contenders(keys, src, result, threads)
            rounds.start("top-1 agreement")
            agreement = _agreement(runners, src["images"], src["labels"],
                                   batch_size)
            rows = []
            for batch, measure in ((1, "latency"), (batch_size, "inference")):
                rounds.start(f"batch {batch}")
                x = src["images"][:batch]
                if len(x) < batch:   # fewer held-out images than a batch
                    x = np.resize(src["images"], (batch, *x.shape[1:]))
                timings = time_side_by_side(
                    {k: (lambda fn=runners[k]: fn(x)) for k in keys},
                    repeats=repeats, warmup=warmup,
                    round_seconds=round_seconds, on_round=rounds.tick)
                rows += [_row(src, key, result, measure, batch, timings[key],
                              agreement[key], len(src["images"]), threads)
                         for key in keys]
    finally:
        rounds.bar.close()
    settings = dict(model=src["name"], checkpoint=None if checkpoint is None
                    else os.path.abspath(checkpoint), weights=src["source"],
                    image_size=src["image_size"],
                    width_multiplier=src["width_multiplier"],
                    batch_size=batch_size, threads=threads, runtimes=keys,
                    dataset=dataset if checkpoint is None else None,
                    agreement_images=len(src["images"]),
                    calibration_images=calibration_images, repeats=repeats,
                    warmup=warmup, round_seconds=round_seconds,
                    trained=checkpoint is not None or weights is not None)
    return Report(machine=machine(), date=started.isoformat(
        timespec="seconds"), settings=settings, rows=rows,
        ratios=runtime_ratios(rows))


def _row(src, key, result, measure, batch, timing, agreement, images,
         threads):
    _, label, artifact, precision = next(r for r in RUNTIMES if r[0] == key)
    size = None if artifact is None else \
        result.manifest["artifacts"][artifact]["bytes"]
    return make_row(src["name"], label, measure, batch, src["image_size"],
                    timing, rate=None if measure == "latency" else batch,
                    width_multiplier=src["width_multiplier"],
                    runtime=key, precision=precision, bytes=size,
                    top1_agreement=agreement["top1_agreement"],
                    top1=agreement["top1"], agreement_images=images,
                    threads=threads if artifact not in (None, "saved_model")
                    else None)


def runtime_ratios(rows):
    """Each runtime against the Keras model of the same run: batch-1
    latency over Keras's (lower is better) and batch throughput over
    Keras's; then the fastest float32 and int8 artifacts against
    :data:`GOALS`, and the int8 artifacts' top-1 agreement."""
    ratios = []

    def add(text, value, goal=None):
        ratios.append({"ratio": text, "value": value, "goal": goal})

    def find(label, measure):
        return next((r for r in rows if r["implementation"] == label
                     and r["measure"] == measure), None)

    base = {m: find(BASELINE, m) for m in ("latency", "inference")}
    if base["latency"] is None:
        return ratios
    artifacts = [r for r in rows if r["measure"] == "latency"
                 and r.get("bytes") is not None]
    for row in (r for r in rows if r["implementation"] != BASELINE):
        mine, theirs = row["median"], base[row["measure"]]["median"]
        if row["measure"] == "latency":
            add(f"{row['implementation']}: batch-1 latency / Keras's",
                mine / theirs)
        else:
            add(f"{row['implementation']}: batch-{row['batch']} images/s / "
                "Keras's", mine / theirs)
    for precision, goal in GOALS.items():
        chosen = [r for r in artifacts if r["precision"] == precision]
        if not chosen:
            continue
        best = min(chosen, key=lambda r: r["median"])
        add(f"fastest {precision} artifact ({best['implementation']}): "
            "batch-1 latency / Keras's", best["median"] /
            base["latency"]["median"], f"<= {goal:.2f}")
    for row in artifacts:
        if row["precision"] in QUANTIZED_TARGETS:
            goal = QUANTIZED_TARGETS[row["precision"]]["top1_agreement"]
            add(f"{row['implementation']}: top-1 agreement with fp32 Keras "
                f"on {row['agreement_images']} held-out images",
                row["top1_agreement"], f">= {goal:.2f}")
    return ratios
