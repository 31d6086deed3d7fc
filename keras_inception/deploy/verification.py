"""Each artifact run against the Keras model before a version is published.

Every artifact is loaded in its own runtime (TensorFlow, ai-edge-litert,
onnxruntime) and run on the same images as the Keras model; the figures go
into the manifest. Float32 artifacts must match within
:data:`FP32_TOLERANCE` (else the export fails and nothing is published);
quantized ones record their top-1 agreement (and, with labelled data,
accuracy) against the targets in :data:`QUANTIZED_TARGETS`.

Example:
    >>> import numpy as np
    >>> from keras_inception.deploy.verification import measure_parity
    >>> keras_scores = np.array([[0.75, 0.25], [0.25, 0.75]])
    >>> tflite_scores = np.array([[0.5, 0.5], [0.25, 0.75]])
    >>> measure_parity(keras_scores, tflite_scores)
    {'images': 2, 'max_abs_diff': 0.25, 'top1_agreement': 1.0}
"""

from __future__ import annotations

import logging
import math

import numpy as np

from keras_inception.utils.progress import Progress

logger = logging.getLogger("keras_inception")

# Largest |probability difference| a float32 artifact may show.
FP32_TOLERANCE = 1e-4
# Quantized TFLite: minimum top-1 agreement with Keras, and (int8, with
# labels) the largest accuracy drop in points.
QUANTIZED_TARGETS = {"fp16": {"top1_agreement": 0.99},
                     "dynamic": {"top1_agreement": 0.99},
                     "int8": {"top1_agreement": 0.95,
                              "accuracy_drop_points": 2.0}}


def random_images(count, image_size, seed):
    """Smooth random images (low-frequency noise, upsampled), so a model
    sees structure rather than per-pixel noise when no data is given."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (count, 8, 8, 3)).astype(np.float32)
    return tf.image.resize(coarse, (image_size, image_size)).numpy()


def top1_agreement(a, b):
    """The fraction of rows where ``a`` and ``b`` pick the same class."""
    return float(np.mean(a.argmax(-1) == b.argmax(-1)))


def measure_parity(reference, outputs):
    """How far an artifact's ``outputs`` are from Keras's ``reference``."""
    return {"images": int(len(reference)),
            "max_abs_diff": float(np.max(np.abs(outputs - reference))),
            "top1_agreement": top1_agreement(outputs, reference)}


def measure_accuracy(reference, outputs, labels):
    """Top-1 of Keras and of an artifact on labelled images."""
    keras_top1 = float(np.mean(reference.argmax(-1) == labels))
    top1 = float(np.mean(outputs.argmax(-1) == labels))
    return {"images": int(len(labels)), "keras_top1": keras_top1,
            "top1": top1,
            "accuracy_drop_points": round(100 * (keras_top1 - top1), 4),
            "top1_agreement": top1_agreement(outputs, reference)}


BATCH = 16


def _progress(what, images, verbose):
    return Progress(math.ceil(len(images) / BATCH), desc=what, unit="image",
                    scale=BATCH, limit=len(images), mode=verbose)


def keras_outputs(core, images, verbose=0):
    """The Keras model's probabilities (``core``: its traced call);
    ``verbose``: a :class:`~keras_inception.utils.progress.Progress`
    mode."""
    progress, out = _progress("Keras outputs", images, verbose), []
    for i in range(0, len(images), BATCH):
        out.append(core(images[i:i + BATCH]).numpy())
        progress.update(len(out))
    progress.close()
    return np.concatenate(out)


def meets_targets(mode, parity, accuracy):
    """Whether a quantized artifact meets ``QUANTIZED_TARGETS[mode]``."""
    target = QUANTIZED_TARGETS[mode]
    agreement = (accuracy or parity)["top1_agreement"]
    ok = agreement >= target["top1_agreement"]
    if "accuracy_drop_points" in target and accuracy is not None:
        ok = ok and accuracy["accuracy_drop_points"] <= \
            target["accuracy_drop_points"]
    return ok


class Verifier:
    """Runs artifacts on the images the Keras model ran on.

    Args:
        label: ``name/version``, for messages.
        core: the deployable model's traced call (the reference).
        parity_set: the images every artifact is compared on.
        eval_set: ``None``, or labelled images (``parity_set`` first)
            quantized artifacts are also scored on.
        labels: the labels of ``eval_set``.
        verbose: progress of each model's run over the images (a
            :class:`~keras_inception.utils.progress.Progress` mode).

    Attributes:
        failures: float32 artifacts beyond :data:`FP32_TOLERANCE`, as
            messages.
    """

    def __init__(self, label, core, parity_set, eval_set=None, labels=None,
                 verbose=0):
        self.label, self.parity_set = label, parity_set
        self.eval_set, self.labels = eval_set, labels
        self.verbose = verbose
        # The parity images are the first of the evaluation images: each
        # model runs once on the larger set.
        self.eval_reference = keras_outputs(
            core, eval_set if eval_set is not None else parity_set, verbose)
        self.reference = self.eval_reference[:len(parity_set)]
        self.failures = []

    def check(self, key, artifact, mode="none"):
        """The manifest figures of ``artifact`` (quantization ``mode``):
        ``parity``, and for a quantized one ``accuracy`` (with labels),
        ``targets`` and ``meets_targets``."""
        entry = {}
        scored = mode != "none" and self.eval_set is not None
        images = self.eval_set if scored else self.parity_set
        progress = _progress(f"checking {key}", images, self.verbose)
        outputs = artifact.predict(images, BATCH, progress)
        progress.close()
        entry["parity"] = measure_parity(self.reference,
                                         outputs[:len(self.parity_set)])
        if mode == "none":
            if not entry["parity"]["max_abs_diff"] <= FP32_TOLERANCE:
                self.failures.append(
                    f"{key}: max abs difference "
                    f"{entry['parity']['max_abs_diff']:.3g} from Keras "
                    f"(tolerance {FP32_TOLERANCE})")
        else:
            accuracy = None
            if scored:
                accuracy = measure_accuracy(self.eval_reference, outputs,
                                            self.labels)
                entry["accuracy"] = accuracy
            entry["targets"] = QUANTIZED_TARGETS[mode]
            entry["meets_targets"] = meets_targets(mode, entry["parity"],
                                                   accuracy)
            if not entry["meets_targets"]:
                logger.warning("export %s: %s misses its targets %s: "
                               "parity %s, accuracy %s", self.label, key,
                               entry["targets"], entry["parity"], accuracy)
        return entry
