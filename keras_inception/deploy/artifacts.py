"""Run any exported or trained model the same way: :func:`load_artifact`.

One interface over four runtimes, used by ``keras-inception predict``, by
the parity checks of :mod:`keras_inception.export` and by the deployment
benchmark:

==============  ====================================  ======================
kind            path                                  runtime
==============  ====================================  ======================
``saved_model`` a SavedModel folder (or a model        TensorFlow
                folder of numbered versions: newest)   (``tf.saved_model``)
``tflite``      ``*.tflite``                           ai-edge-litert
``onnx``        ``*.onnx``                             onnxruntime
``checkpoint``  a run folder, or a weights file in     Keras
                one
==============  ====================================  ======================

Every artifact takes float32 RGB pixels in 0-255 (preprocessing is part of
the model) and returns probabilities. ``predict_files`` decodes image files
with :func:`keras_inception.serving.image_view` -- inside the graph for a
SavedModel (its ``predict_images`` signature), eagerly otherwise -- so all
kinds see the same pixels. Exports carry their class names, input size and
crop in the ``manifest.json`` beside them.

Example:
    >>> from keras_inception.artifacts import artifact_kind
    >>> artifact_kind("model_int8.tflite")
    'tflite'
"""

from __future__ import annotations

import os

import numpy as np

from keras_inception.deploy.manifest import MANIFEST
from keras_inception.utils import atomic as _io
from keras_inception.utils.faults import fault_errno
from keras_inception.utils.files import check_model_file

KINDS = ("saved_model", "tflite", "onnx", "checkpoint")


# How ONNX Runtime runs an export: recorded in the manifest entry of each
# .onnx file (edit it there to change how load_artifact opens that file).
# The fastest of the options measured on the full-size Inception-v3 at
# batch 1 on 2 cores: the parallel execution mode took 49-60 ms against
# 26 ms sequential (README, "Deployment"); None threads: every core.
ONNX_SESSION_OPTIONS = {"graph_optimization_level": "ORT_ENABLE_ALL",
                        "execution_mode": "ORT_SEQUENTIAL",
                        "intra_op_num_threads": None}


def default_threads():
    """The CPU threads TFLite and ONNX Runtime are given when the caller
    names none: every core this process may run on.

    LiteRT's own default is one thread, which measured 1.8x slower than
    two on the full-size Inception-v3 at batch 1 on a 2-core machine
    (47.2 against 25.6 ms; ``benchmarks/results/runtimes.md``).
    """
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # pragma: no cover - not Linux
        return os.cpu_count() or 1


def artifact_kind(path):
    """The kind of artifact at ``path`` (see the module table).

    Raises:
        ValueError: for a path that is none of them.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`artifact` must be a path; received {path!r}.")
    path = os.fspath(path)
    lower = path.lower()
    if lower.endswith(".tflite"):
        return "tflite"
    if lower.endswith(".onnx"):
        return "onnx"
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "saved_model.pb")) or \
                _latest_version(path) is not None:
            return "saved_model"
        if os.path.isfile(os.path.join(path, "run_config.json")):
            return "checkpoint"
    elif lower.endswith((".weights.h5", ".h5")):
        return "checkpoint"
    elif lower.endswith(".keras"):
        check_model_file(path, "artifact", "keras")
        raise ValueError(
            f"`artifact` {path!r} is a whole Keras model, which carries no "
            "class names or input crop: give the training run it came from, "
            "or export it (keras-inception export) and predict with that.")
    if not os.path.exists(path):
        raise ValueError(f"`artifact` {path!r} does not exist.")
    raise ValueError(
        f"`artifact` {path!r} is not a SavedModel folder, a .tflite or "
        ".onnx file, or a training run (a folder with run_config.json, or "
        "a weights file in one).")


def _latest_version(folder):
    from keras_inception.deploy.serving import saved_model_versions
    versions = saved_model_versions(folder)
    return os.path.join(folder, str(versions[-1])) if versions else None


class Artifact:
    """A model to run: ``predict(images)`` and ``predict_files(paths)``.

    Attributes:
        kind: one of :data:`KINDS`.
        path: what was loaded.
        image_size: the side of the square input.
        class_names: one name per class.
        central_fraction: the evaluation crop applied to image files.
        max_pixels: the largest image file accepted.
        manifest: the export's manifest (``None`` for a checkpoint).
    """

    kind = ""

    def __init__(self, path, *, image_size, class_names, central_fraction,
                 max_pixels, manifest=None):
        self.path = path
        self.image_size = int(image_size)
        self.class_names = list(class_names)
        self.central_fraction = float(central_fraction)
        self.max_pixels = int(max_pixels)
        self.manifest = manifest

    def predict(self, images, batch_size=16, progress=None):
        """Probabilities ``[N, classes]`` of float32 images ``[N, S, S, 3]``
        holding 0-255 RGB pixels; ``progress``: a
        :class:`~keras_inception.utils.progress.Progress` told of each
        batch."""
        images = np.asarray(images, np.float32)
        expected = (self.image_size, self.image_size, 3)
        if images.ndim != 4 or images.shape[1:] != expected:
            raise ValueError(f"`images` must have shape (N, "
                             f"{', '.join(map(str, expected))}); received "
                             f"{images.shape}.")
        out = []
        for i in range(0, len(images), batch_size):
            out.append(self._run(images[i:i + batch_size]))
            if progress is not None:
                progress.update(len(out))
        return np.concatenate(out).astype(np.float32) if out else \
            np.zeros((0, len(self.class_names)), np.float32)

    def _run(self, batch):
        raise NotImplementedError

    def read_files(self, paths):
        """Each file's bytes, checked (raises ValueError naming a file that
        is not an image or is too large)."""
        from keras_inception.deploy.serving import check_image_file
        return [check_image_file(p, max_pixels=self.max_pixels)
                for p in paths]

    def predict_files(self, paths):
        """Probabilities for image files (JPEG/PNG/GIF/BMP)."""
        encoded = self.read_files(paths)
        return self._predict_encoded(encoded, paths)

    def predict_encoded(self, encoded, names):
        """Probabilities for encoded images (the bytes a file or a client's
        request holds), decoded as :meth:`predict_files` decodes files;
        ``names``: what an error names for each."""
        return self._predict_encoded(list(encoded), list(names))

    def _predict_encoded(self, encoded, paths):
        # Each file through the serving graph's own view, one at a time so
        # that an error names its file.
        import tensorflow as tf

        from keras_inception.deploy.serving import error_message, image_view
        images = []
        for data, path in zip(encoded, paths):
            try:
                images.append(image_view(
                    tf.constant(data), image_size=self.image_size,
                    central_fraction=self.central_fraction,
                    max_pixels=self.max_pixels).numpy())
            except tf.errors.InvalidArgumentError as err:
                raise ValueError(f"{path}: {error_message(err)}") from None
        return self.predict(np.stack(images))

    def top_k(self, probabilities, k=5):
        """``[[(class name, score), ...], ...]``, best first."""
        from keras_inception.utils.checks import check_count
        check_count(k, "top")
        k = min(k, probabilities.shape[-1])
        order = np.argsort(-probabilities, axis=-1, kind="stable")[:, :k]
        return [[(self.class_names[i], float(p[i])) for i in row]
                for row, p in zip(order, probabilities)]


class SavedModelArtifact(Artifact):
    kind = "saved_model"

    def __init__(self, path, **kwargs):
        import tensorflow as tf
        super().__init__(path, **kwargs)
        self._loaded = tf.saved_model.load(path)
        self._serve = self._loaded.signatures["serving_default"]
        self._images = self._loaded.signatures["predict_images"]

    def _run(self, batch):
        import tensorflow as tf
        return self._serve(images=tf.constant(batch))["probabilities"].numpy()

    def _predict_encoded(self, encoded, paths):
        import tensorflow as tf

        from keras_inception.deploy.serving import error_message
        try:
            out = self._images(image_bytes=tf.constant(encoded, tf.string))
        except tf.errors.InvalidArgumentError as err:
            # The batch failed; find the file to name, one at a time.
            for data, path in zip(encoded, paths):
                try:
                    self._images(image_bytes=tf.constant([data], tf.string))
                except tf.errors.InvalidArgumentError as one:
                    raise ValueError(f"{path}: {error_message(one)}"
                                     ) from None
            raise ValueError(error_message(err)) from None
        return out["probabilities"].numpy()


class TFLiteArtifact(Artifact):
    """A ``.tflite`` run by ai-edge-litert's interpreter. Integer inputs and
    outputs (full int8 exports) are quantized and dequantized with the
    scales stored in the file."""

    kind = "tflite"

    def __init__(self, path, num_threads=None, **kwargs):
        from ai_edge_litert.interpreter import Interpreter
        super().__init__(path, **kwargs)
        self.num_threads = num_threads or default_threads()
        self._interpreter = Interpreter(model_path=path,
                                        num_threads=self.num_threads)
        self._runner = self._interpreter.get_signature_runner(
            "serving_default")
        self._input = self._runner.get_input_details()["images"]
        self._output = self._runner.get_output_details()["probabilities"]

    def _run(self, batch):
        detail = self._input
        if detail["dtype"] != np.float32:
            scale, zero = detail["quantization"]
            info = np.iinfo(detail["dtype"])
            batch = np.clip(np.round(batch / scale + zero), info.min,
                            info.max).astype(detail["dtype"])
        out = self._runner(images=batch)["probabilities"]
        if self._output["dtype"] != np.float32:
            scale, zero = self._output["quantization"]
            out = (out.astype(np.float32) - zero) * scale
        return out


class OnnxArtifact(Artifact):
    kind = "onnx"

    def __init__(self, path, num_threads=None, **kwargs):
        import onnxruntime as ort
        super().__init__(path, **kwargs)
        entry = next((e for e in (self.manifest or {}).get(
            "artifacts", {}).values() if e.get("path") ==
            os.path.basename(path)), {})
        settings = {**ONNX_SESSION_OPTIONS,
                    **entry.get("session_options", {})}
        self.num_threads = num_threads or \
            settings["intra_op_num_threads"] or default_threads()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.num_threads
        options.graph_optimization_level = getattr(
            ort.GraphOptimizationLevel, settings["graph_optimization_level"])
        options.execution_mode = getattr(ort.ExecutionMode,
                                         settings["execution_mode"])
        self._session = ort.InferenceSession(
            path, options, providers=["CPUExecutionProvider"])

    def _run(self, batch):
        return self._session.run(["probabilities"], {"images": batch})[0]


class KerasArtifact(Artifact):
    """A training run's model (aux heads stripped, preprocessing added) run
    by Keras."""

    kind = "checkpoint"

    def __init__(self, path, model, **kwargs):
        super().__init__(path, **kwargs)
        self.model = model

    def _run(self, batch):
        return np.asarray(self.model(batch, training=False))


def _manifest_fields(manifest):
    return dict(image_size=manifest["input"]["height"],
                class_names=manifest["class_names"],
                central_fraction=manifest["preprocessing"]["central_fraction"],
                max_pixels=manifest["max_pixels"], manifest=manifest)


def load_artifact(path, num_threads=None):
    """Loads any artifact kind (see the module table).

    Args:
        path: the artifact.
        num_threads: CPU threads for TFLite and ONNX Runtime (``None``:
            :func:`default_threads`, every core this process may use).

    Returns:
        An :class:`Artifact`.

    Raises:
        ValueError: unknown kind, or an export without its manifest.
    """
    kind = artifact_kind(path)
    path = os.fspath(path)
    if kind == "checkpoint":
        return _load_checkpoint(path)
    if kind == "saved_model" and not os.path.isfile(
            os.path.join(path, "saved_model.pb")):
        path = _latest_version(path)
    if kind != "saved_model":
        check_model_file(path, "artifact", kind)   # before its manifest
    folder = path if kind == "saved_model" else os.path.dirname(path) or "."
    manifest = _io.read_json(os.path.join(folder, MANIFEST))
    if manifest is None:
        raise ValueError(f"`artifact` {path!r} has no {MANIFEST} beside it "
                         "(written by keras-inception export): class names, "
                         "input size and crop are unknown.")
    fields = _manifest_fields(manifest)
    if kind == "saved_model":
        return _opened(SavedModelArtifact, path, "SavedModel", **fields)
    if kind == "tflite":
        return _opened(TFLiteArtifact, path, "TFLite model",
                       num_threads=num_threads, **fields)
    return _opened(OnnxArtifact, path, "ONNX model", num_threads=num_threads,
                   **fields)


def _opened(cls, path, what, **kwargs):
    """``cls(path, **kwargs)``; a file its runtime cannot read (truncated,
    damaged) raises ``ValueError`` naming it, not the runtime's trace."""
    try:
        return cls(path, **kwargs)
    except Exception as err:   # each runtime raises its own types
        if fault_errno(err) is not None:
            raise
        detail = next((line.strip() for line in str(err).splitlines()
                       if line.strip()), type(err).__name__)
        raise ValueError(f"`artifact` {path!r} is not a loadable {what} "
                         f"(truncated or damaged?): {detail}") from None


def _load_checkpoint(path):
    from keras_inception.deploy.serving import DEFAULT_MAX_PIXELS
    from keras_inception.deploy.wrapping import deployable
    from keras_inception.training import runner

    model, saved, _, weights = runner.load_run(path, argument="artifact")
    return KerasArtifact(
        weights,
        deployable(model, saved["preprocessing"]),
        image_size=saved["config"]["image_size"],
        class_names=saved["class_names"],
        central_fraction=saved["config"]["central_fraction"],
        max_pixels=DEFAULT_MAX_PIXELS)
