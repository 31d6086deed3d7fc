"""Deployment: SavedModel for TF Serving, TFLite / LiteRT and ONNX, each
checked against the Keras model before it is published.

:func:`export` writes one *version* of a model::

    saved_models/<name>/<version>/     the folder TF Serving watches
        saved_model.pb, variables/     SavedModel: serving_default, predict_images
        assets.extra/tf_serving_warmup_requests
        model.tflite                   TFLite fp32 (model_fp16, model_dynamic,
                                       model_int8 for --quantize)
        model.onnx                     ONNX (tf2onnx), dynamic batch
        manifest.json                  input, preprocessing, classes, source,
                                       sizes, SHA-256, parity figures
    saved_models/models.config         every served model, for --model_config_file

Every artifact takes float32 ``[batch, S, S, 3]`` RGB pixels in 0-255 and
returns probabilities: preprocessing (and the softmax of a logits model) is
part of the exported graph, auxiliary heads are removed. The SavedModel adds
top-k outputs with class names and an encoded-image signature
(:mod:`keras_inception.serving`).

Before a version is published, each artifact is loaded in its own runtime
(TensorFlow, ai-edge-litert, onnxruntime) and run on the same images as the
Keras model; the figures go into the manifest. Float32 artifacts must match
within :data:`FP32_TOLERANCE` (else :class:`ExportError` and nothing is
published); quantized ones record their top-1 agreement (and, with labelled
data, accuracy) against the targets in :data:`QUANTIZED_TARGETS`.

Exports are atomic: everything is written into ``.<version>.partial-<pid>``
beside the version folder (TF Serving ignores names that are not numbers)
and renamed into place at the end, so a killed export leaves no version
folder; the next export removes the leftovers of dead processes. An existing
version is only replaced with ``overwrite=True``.

Example:
    >>> import tempfile, keras_inception
    >>> from keras_inception.export import export
    >>> model = keras_inception.InceptionV1(input_shape=(32, 32, 3),
    ...                                     width_multiplier=0.25, classes=3)
    >>> result = export(model, tempfile.mkdtemp(), formats="onnx",
    ...                 class_names=["a", "b", "c"], parity_images=4)
    >>> result.version, sorted(result.manifest["artifacts"])
    (1, ['onnx'])
    >>> result.manifest["artifacts"]["onnx"]["parity"]["max_abs_diff"] < 1e-4
    True
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
import numbers
import os
import shutil
import time

import keras
import numpy as np

from keras_inception.utils import atomic as _io
from keras_inception.deploy.artifacts import MANIFEST
from keras_inception.deploy.serving import DEFAULT_MAX_PIXELS

logger = logging.getLogger("keras_inception")

FORMATS = ("saved_model", "tflite", "onnx")
# TFLite variants: "none" is float32.
QUANTIZE = ("none", "fp16", "dynamic", "int8")
_QUANTIZE_ALIASES = {"fp32": "none", "float32": "none", "float16": "fp16",
                     "dynamic_range": "dynamic", "full_int8": "int8"}
TFLITE_FILES = {"none": "model.tflite", "fp16": "model_fp16.tflite",
                "dynamic": "model_dynamic.tflite",
                "int8": "model_int8.tflite"}
ONNX_FILE = "model.onnx"
DEFAULT_OPSET = 17
OPSETS = (13, 18)   # what tf2onnx 1.17 converts to, inclusive
# Largest |probability difference| a float32 artifact may show.
FP32_TOLERANCE = 1e-4
# Quantized TFLite: minimum top-1 agreement with Keras, and (int8, with
# labels) the largest accuracy drop in points.
QUANTIZED_TARGETS = {"fp16": {"top1_agreement": 0.99},
                     "dynamic": {"top1_agreement": 0.99},
                     "int8": {"top1_agreement": 0.95,
                              "accuracy_drop_points": 2.0}}
_PARTIAL = ".partial-"


class ExportError(RuntimeError):
    """An artifact failed its check against the Keras model; nothing was
    published."""


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """What :func:`export` published.

    Attributes:
        path: the version folder.
        version: its number.
        manifest: the manifest written beside the artifacts.
    """

    path: str
    version: int
    manifest: dict

    def artifact(self, key):
        """The path of one artifact (``"saved_model"``, ``"onnx"``,
        ``"tflite"``, ``"tflite_int8"``, ...)."""
        entry = self.manifest["artifacts"][key]
        return os.path.normpath(os.path.join(self.path, entry["path"]))


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------
def _as_list(value, arg):
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (list, tuple)) and all(
            isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise TypeError(f"`{arg}` must be a string or a list of strings; "
                        f"received {value!r}.")
    items = [v.lower() for v in items if v]
    if not items:
        raise ValueError(f"`{arg}` is empty.")
    return list(dict.fromkeys(items))


def parse_formats(formats):
    """``"saved_model,onnx"`` or a list -> a checked list of formats."""
    items = _as_list(formats, "formats")
    items = ["saved_model" if v in ("savedmodel", "tf_saved_model") else
             "tflite" if v in ("litert",) else v for v in items]
    unknown = [v for v in items if v not in FORMATS]
    if unknown:
        raise ValueError(f"`formats`: unknown format {unknown[0]!r}; "
                         f"allowed: {', '.join(FORMATS)}.")
    return items


def parse_quantize(quantize, formats):
    """The TFLite variants to write (``["none"]`` unless ``quantize`` says
    otherwise). Quantization applies to TFLite only."""
    if quantize is None:
        return ["none"] if "tflite" in formats else []
    items = [_QUANTIZE_ALIASES.get(v, v)
             for v in _as_list(quantize, "quantize")]
    unknown = [v for v in items if v not in QUANTIZE]
    if unknown:
        raise ValueError(f"`quantize`: unknown mode {unknown[0]!r}; allowed: "
                         "none (fp32), fp16, dynamic, int8.")
    if "tflite" not in formats and items != ["none"]:
        raise ValueError(
            f"`quantize` {','.join(items)} applies to the tflite format "
            f"only; {', '.join(formats)} cannot be quantized here. Add "
            "tflite to `formats` (e.g. --format tflite --quantize int8).")
    return items


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string; received {name!r}.")
    if not name or name.startswith(".") or "/" in name or "\\" in name \
            or name.isdigit():
        raise ValueError("`name` must be a non-empty folder name without "
                         "'/', not starting with '.', and not a number "
                         f"(TF Serving reads numbers as versions); received "
                         f"{name!r}.")


def _output_activation(model):
    """The activation of the layer producing ``model.output``."""
    from keras_inception.models import registry
    layer = registry.unwrap(model).output._keras_history.operation
    return getattr(getattr(layer, "activation", None), "__name__", None)


def deployable(model, preprocessing):
    """The model as it is exported: float32 0-255 RGB images in (input
    ``images``), probabilities out.

    Auxiliary heads are removed (:func:`keras_inception.strip_aux`),
    ``preprocessing`` (``"tf"``, ``"torch"``, ``"caffe"``) is applied by a
    :class:`keras_inception.layers.Preprocessing` layer, and a model ending
    in logits gets a softmax. Weights are shared with ``model``.
    """
    from keras_inception.models import builder
    from keras_inception.models.layers import Preprocessing
    model = builder.strip_aux(model)
    if isinstance(model.output, (list, tuple, dict)) or \
            len(model.output.shape) != 2:
        raise ValueError("`model` must end in a classifier: one output of "
                         "shape (batch, classes); received output shape "
                         f"{getattr(model.output, 'shape', model.output)}.")
    shape = tuple(model.input_shape[1:])
    if len(shape) != 3 or shape[2] != 3 or shape[0] is None or \
            shape[0] != shape[1]:
        raise ValueError("`model` must take square RGB images of a fixed "
                         "size, input shape (S, S, 3); received "
                         f"{shape}. Rebuild it with input_shape=(S, S, 3).")
    images = keras.Input(shape, name="images", dtype="float32")
    outputs = model(Preprocessing(preprocessing, name="preprocessing")(
        images))
    if _output_activation(model) in (None, "linear"):
        outputs = keras.layers.Softmax(name="probabilities")(outputs)
    return keras.Model(images, outputs, name=f"{model.name}_deployable")


def _class_names(class_names, classes):
    if class_names is None:
        if classes == 1000:
            from keras_inception.models.imagenet import imagenet_class_names
            return imagenet_class_names()
        return [str(i) for i in range(classes)]
    if isinstance(class_names, str) or not all(
            isinstance(c, str) for c in class_names):
        raise TypeError("`class_names` must be a list of strings; received "
                        f"{class_names!r}.")
    class_names = list(class_names)
    if len(class_names) != classes:
        raise ValueError(f"`class_names` has {len(class_names)} names but the "
                         f"model has {classes} classes.")
    return class_names


def _take(data, count, image_size, arg):
    """Up to ``count`` images (and labels, when given) from a tf.data
    dataset or iterable of batches ``images`` or ``(images, labels)``, or
    an array."""
    if data is None:
        return None, None
    if isinstance(data, np.ndarray):
        data = [data]
    images, labels, n, labelled = [], [], 0, True
    try:
        iterator = iter(data)
    except TypeError:
        raise TypeError(f"`{arg}` must be a tf.data.Dataset, an array or an "
                        "iterable of image batches; received "
                        f"{type(data).__name__}.") from None
    for batch in iterator:
        x, y = (batch[0], batch[1]) if isinstance(batch, (tuple, list)) \
            else (batch, None)
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        if x.shape[1:] != (image_size, image_size, 3):
            raise ValueError(f"`{arg}` must hold images of shape "
                             f"({image_size}, {image_size}, 3) in 0-255; "
                             f"received a batch of shape {x.shape}.")
        images.append(x)
        if y is None:
            labelled = False
        else:
            labels.append(np.asarray(y).reshape(-1))
        n += len(x)
        if n >= count:
            break
    if not images:
        raise ValueError(f"`{arg}` holds no images.")
    images = np.concatenate(images)[:count]
    labels = np.concatenate(labels)[:count] if labelled else None
    return images, labels


def _random_images(count, image_size, seed):
    """Smooth random images (low-frequency noise, upsampled), so a model
    sees structure rather than per-pixel noise when no data is given."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (count, 8, 8, 3)).astype(np.float32)
    return tf.image.resize(coarse, (image_size, image_size)).numpy()


# --------------------------------------------------------------------------
# Version folders
# --------------------------------------------------------------------------
def _versions(model_dir):
    return sorted(int(v) for v in os.listdir(model_dir) if v.isdigit()) \
        if os.path.isdir(model_dir) else []


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_partials(model_dir):
    """Leftovers of killed exports (their process is gone)."""
    if not os.path.isdir(model_dir):
        return
    for entry in os.listdir(model_dir):
        if _PARTIAL not in entry or not entry.startswith("."):
            continue
        pid = entry.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            logger.info("removing %s, left by an interrupted export",
                        os.path.join(model_dir, entry))
            shutil.rmtree(os.path.join(model_dir, entry), ignore_errors=True)


def _publish(partial, final, overwrite):
    """Renames the finished ``partial`` folder to ``final``."""
    if os.path.exists(final):
        if not overwrite:
            raise ValueError(f"version folder {final!r} appeared while "
                             "exporting; nothing was replaced.")
        head, tail = os.path.split(final)
        old = os.path.join(head, f".{tail}.replaced-{os.getpid()}")
        os.replace(final, old)
        os.replace(partial, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(partial, final)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_entries(root, paths):
    entries = []
    for path in paths:
        full = os.path.join(root, path)
        files = [full] if os.path.isfile(full) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(full) for f in fs)
        for f in files:
            entries.append({"path": os.path.relpath(f, root),
                            "bytes": os.path.getsize(f),
                            "sha256": _sha256(f)})
    return entries


# --------------------------------------------------------------------------
# Converters
# --------------------------------------------------------------------------
def _core(model, image_size):
    """``model``'s inference call as one ``tf.function`` (traced once,
    shared by every signature and the Keras reference outputs)."""
    import tensorflow as tf
    return tf.function(lambda images: model(images, training=False),
                       input_signature=[tf.TensorSpec(
                           (None, image_size, image_size, 3), tf.float32,
                           name="images")])


def _write_saved_model(folder, endpoints, model):
    """A SavedModel of ``endpoints`` (``{name: (fn, input signature)}``)
    over ``model``'s variables.

    A plain ``tf.Module`` holding the variables rather than
    ``keras.export.ExportArchive``: the same graph and signatures in half
    the time (9 s against 18 s for a width-0.25 Inception-v3, measured),
    because ExportArchive retraces the model and walks every layer's
    trackable children.
    """
    import tensorflow as tf
    module = tf.Module()
    module.model_variables = [v.value for v in model.variables]
    signatures = {}
    for name, (fn, signature) in endpoints.items():
        function = tf.function(fn, input_signature=signature)
        setattr(module, name, function)
        signatures[name] = function.get_concrete_function()
    tf.saved_model.save(module, folder, signatures=signatures)


def _probabilities_endpoint(core):
    def serving_default(images):
        return {"probabilities": core(images)}
    return {"serving_default": (serving_default, core.input_signature)}


def _convert_tflite(saved_model_dir, mode, calibration):
    import tensorflow as tf
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model_dir, signature_keys=["serving_default"])
    if mode != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        # Integer-only (every op int8, uint8 pixels in, uint8 scores out),
        # for accelerators and microcontrollers without float kernels.
        converter.representative_dataset = lambda: (
            [image[None]] for image in calibration)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    return converter.convert()


def _convert_onnx(core, opset, path):
    import tensorflow as tf
    import tf2onnx

    try:   # Keras's own fixes of tf2onnx for NumPy 2 (as model.export uses)
        from keras.src.export.tf2onnx_lib import patch_tf2onnx
        patch_tf2onnx()
    except ImportError:   # pragma: no cover - a Keras without them
        pass
    serve, signature = _probabilities_endpoint(core)["serving_default"]
    proto, _ = tf2onnx.convert.from_function(
        tf.function(serve, input_signature=signature),
        input_signature=signature, opset=opset)
    # tf2onnx names the free batch dimension "unk__N"; call it "batch".
    for value in (*proto.graph.input, *proto.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        if not dim.HasField("dim_value"):
            dim.dim_param = "batch"
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------
def _agreement(a, b):
    return float(np.mean(a.argmax(-1) == b.argmax(-1)))


def _parity(reference, outputs):
    return {"images": int(len(reference)),
            "max_abs_diff": float(np.max(np.abs(outputs - reference))),
            "top1_agreement": _agreement(outputs, reference)}


def _accuracy(reference, outputs, labels):
    keras_top1 = float(np.mean(reference.argmax(-1) == labels))
    top1 = float(np.mean(outputs.argmax(-1) == labels))
    return {"images": int(len(labels)), "keras_top1": keras_top1,
            "top1": top1,
            "accuracy_drop_points": round(100 * (keras_top1 - top1), 4),
            "top1_agreement": _agreement(outputs, reference)}


def _keras_outputs(core, images, batch_size=16):
    return np.concatenate([core(images[i:i + batch_size]).numpy()
                           for i in range(0, len(images), batch_size)])


def _meets(mode, parity, accuracy):
    target = QUANTIZED_TARGETS[mode]
    agreement = (accuracy or parity)["top1_agreement"]
    ok = agreement >= target["top1_agreement"]
    if "accuracy_drop_points" in target and accuracy is not None:
        ok = ok and accuracy["accuracy_drop_points"] <= \
            target["accuracy_drop_points"]
    return ok


class _Stages:
    """Progress of an export on the ``keras_inception`` logger."""

    def __init__(self, label, total):
        self.label, self.total, self.done = label, total, 0
        self.start = time.perf_counter()

    def __call__(self, what):
        self.done += 1
        logger.info("export %s [%d/%d] %s (%.1f s)", self.label, self.done,
                    self.total, what, time.perf_counter() - self.start)


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------
def export(model, path="saved_models", formats=("saved_model",), *,
           name=None, version=None, quantize=None, class_names=None,
           preprocessing=None, central_fraction=0.875, calibration_data=None,
           validation_data=None, parity_images=64, calibration_images=200,
           evaluation_images=1000, opset=DEFAULT_OPSET, top_k=None,
           max_pixels=DEFAULT_MAX_PIXELS, source=None, overwrite=False,
           seed=0):
    """Exports ``model`` as one version under ``path/name/`` and checks
    every artifact against it.

    Args:
        model: a Keras classifier (aux heads are removed); its input must be
            square RGB of a fixed size.
        path: the export folder (TF Serving's model base paths live here).
        formats: ``"saved_model"``, ``"tflite"``, ``"onnx"``, as a list or a
            comma-separated string.
        name: the model's folder and TF Serving name (default: the
            architecture's registry name, else ``model.name``).
        version: a positive integer; ``None``: one above the newest.
        quantize: TFLite variants, list or comma-separated: ``"none"``
            (fp32, the default), ``"fp16"``, ``"dynamic"`` (int8 weights),
            ``"int8"`` (integer-only, calibrated on ``calibration_data``).
        class_names: one per class (default: ImageNet's names for 1000
            classes, else ``"0"``, ``"1"``, ...).
        preprocessing: ``"tf"``, ``"torch"`` or ``"caffe"``; ``None``: the
            architecture's (required for models not built by this package).
        central_fraction: the crop ``predict_images`` takes of each side.
        calibration_data: images for int8 calibration: a ``tf.data``
            dataset or iterable of batches ``images`` or ``(images,
            labels)``, float 0-255 at the model's size (e.g.
            :func:`keras_inception.data.load` with ``preprocessing="none"``).
        validation_data: the same, with labels, for the parity images and
            the quantized models' accuracy; ``None``: the calibration
            images, else smooth random images.
        parity_images: how many images every artifact is compared on.
        calibration_images: how many images calibrate int8.
        evaluation_images: how many labelled images quantized models are
            scored on.
        opset: ONNX opset, within :data:`OPSETS`.
        top_k: classes in the SavedModel's ``top_k_*`` outputs (``None``:
            5, or all classes when there are fewer).
        max_pixels: the largest image ``predict_images`` decodes.
        source: a dict recorded in the manifest (checkpoint, dataset, ...).
        overwrite: replace an existing version.
        seed: seeds the random parity images.

    Returns:
        An :class:`ExportResult`.

    Raises:
        TypeError, ValueError: bad arguments, an existing version, before
            anything is written.
        ExportError: a float32 artifact differs from Keras by more than
            :data:`FP32_TOLERANCE`; nothing is published.
    """
    from keras_inception.utils.checks import check_bool, check_count
    from keras_inception.models import registry
    from keras_inception.deploy import serving

    if not isinstance(model, keras.Model):
        raise TypeError("`model` must be a keras.Model; received "
                        f"{type(model).__name__}.")
    formats = parse_formats(formats)
    modes = parse_quantize(quantize, formats)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a folder path; received {path!r}.")
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"`path` {path!r} is a file, not a folder.")
    arch = registry.architecture_of(model)
    name = name if name is not None else (arch or model.name)
    _check_name(name)
    if version is not None:
        check_count(version, "version")
    if preprocessing is None:
        if arch is None:
            raise ValueError("`preprocessing` must be given ('tf', 'torch' "
                             "or 'caffe') for a model not built by "
                             "keras_inception.")
        preprocessing = registry.get_model_info(arch).preprocessing
    if not isinstance(central_fraction, numbers.Real) or isinstance(
            central_fraction, bool) or not 0 < central_fraction <= 1:
        raise ValueError("`central_fraction` must be in (0, 1]; received "
                         f"{central_fraction!r}.")
    for arg, minimum in (("parity_images", 1), ("calibration_images", 1),
                         ("evaluation_images", 1), ("max_pixels", 1),
                         ("seed", 0)):
        check_count(locals()[arg], arg, minimum)
    check_count(opset, "opset")
    if not OPSETS[0] <= opset <= OPSETS[1]:
        raise ValueError(f"`opset` must be in {OPSETS[0]}..{OPSETS[1]} "
                         f"(what tf2onnx converts to); received {opset}.")
    check_bool(overwrite, "overwrite")
    if "int8" in modes and calibration_data is None:
        raise ValueError("`quantize` int8 needs `calibration_data` (images "
                         "from the input pipeline) to calibrate its ranges.")
    if source is not None and not isinstance(source, dict):
        raise TypeError(f"`source` must be a dict; received {source!r}.")

    deploy = deployable(model, preprocessing)   # checks the model's shape
    image_size = int(deploy.input_shape[1])
    classes = int(deploy.output_shape[-1])
    class_names = _class_names(class_names, classes)
    if top_k is None:
        top_k = min(5, classes)
    check_count(top_k, "top_k")
    if top_k > classes:
        raise ValueError(f"`top_k` must be at most the number of classes "
                         f"({classes}); received {top_k}.")

    model_dir = os.path.join(path, name)
    _remove_stale_partials(model_dir)
    existing = _versions(model_dir)
    version = int(version) if version is not None else \
        (existing[-1] + 1 if existing else 1)
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final) and not overwrite:
        raise ValueError(f"version folder {final!r} exists; pass another "
                         "version (--version), or overwrite=True "
                         "(--overwrite) to replace it.")

    calibration, _ = _take(calibration_data, calibration_images, image_size,
                           "calibration_data")
    evaluation, labels = _take(validation_data, max(parity_images,
                                                    evaluation_images),
                               image_size, "validation_data")
    if evaluation is None:
        evaluation = calibration if calibration is not None else \
            _random_images(parity_images, image_size, seed)
    parity_set = evaluation[:parity_images]
    quantized = [m for m in modes if m != "none"]
    eval_set = evaluation if labels is not None and quantized else None

    label = f"{name}/{version}"
    stages = _Stages(label, 2 + ("saved_model" in formats)
                     + (len(modes) + 1 if modes else 0) + ("onnx" in formats))
    core = _core(deploy, image_size)
    # The parity images are the first of the evaluation images: each model
    # runs once on the larger set.
    eval_reference = _keras_outputs(core, eval_set if eval_set is not None
                                    else parity_set)
    reference = eval_reference[:len(parity_set)]
    stages(f"Keras outputs on {len(eval_reference)} images")

    os.makedirs(model_dir, exist_ok=True)
    partial = os.path.join(model_dir, f".{version}{_PARTIAL}{os.getpid()}")
    os.makedirs(partial)
    artifacts, failures = {}, []
    loader = dict(image_size=image_size, class_names=class_names,
                  central_fraction=float(central_fraction),
                  max_pixels=max_pixels)
    try:
        from keras_inception.deploy import artifacts as runtimes

        def check(key, artifact, files, mode="none", **extra):
            entry = {"path": files[0] if len(files) == 1 else ".",
                     "files": _file_entries(partial, files), **extra}
            entry["bytes"] = sum(f["bytes"] for f in entry["files"])
            scored = mode != "none" and eval_set is not None
            outputs = artifact.predict(eval_set if scored else parity_set)
            entry["parity"] = _parity(reference, outputs[:len(parity_set)])
            if mode == "none":
                if not entry["parity"]["max_abs_diff"] <= FP32_TOLERANCE:
                    failures.append(
                        f"{key}: max abs difference "
                        f"{entry['parity']['max_abs_diff']:.3g} from Keras "
                        f"(tolerance {FP32_TOLERANCE})")
            else:
                accuracy = None
                if scored:
                    accuracy = _accuracy(eval_reference, outputs, labels)
                    entry["accuracy"] = accuracy
                entry["targets"] = QUANTIZED_TARGETS[mode]
                entry["meets_targets"] = _meets(mode, entry["parity"],
                                                accuracy)
                if not entry["meets_targets"]:
                    logger.warning("export %s: %s misses its targets %s: "
                                   "parity %s, accuracy %s", label, key,
                                   entry["targets"], entry["parity"],
                                   accuracy)
            artifacts[key] = entry

        if "saved_model" in formats:
            _write_saved_model(partial, serving.signatures(
                core, class_names=class_names, image_size=image_size,
                central_fraction=float(central_fraction),
                max_pixels=max_pixels, top_k=top_k), deploy)
            serving.write_warmup(partial, name, image_size)
            files = sorted(os.listdir(partial))
            check("saved_model", runtimes.SavedModelArtifact(
                partial, **loader), files,
                signatures=["serving_default", "predict_images"],
                top_k=top_k)
            stages("SavedModel written and checked")
        if modes:
            convert_dir = os.path.join(partial, ".convert")
            _write_saved_model(convert_dir, _probabilities_endpoint(core),
                               deploy)
            stages("TFLite source graph written")
            for mode in modes:
                filename = TFLITE_FILES[mode]
                with open(os.path.join(partial, filename), "wb") as f:
                    f.write(_convert_tflite(convert_dir, mode, calibration))
                key = "tflite" if mode == "none" else f"tflite_{mode}"
                check(key, runtimes.TFLiteArtifact(
                    os.path.join(partial, filename), **loader), [filename],
                    mode=mode, quantization=mode)
                stages(f"TFLite {mode if mode != 'none' else 'fp32'} "
                       "converted and checked")
            shutil.rmtree(convert_dir)
        if "onnx" in formats:
            _convert_onnx(core, opset,
                          os.path.join(partial, ONNX_FILE))
            check("onnx", runtimes.OnnxArtifact(
                os.path.join(partial, ONNX_FILE), **loader), [ONNX_FILE],
                opset=opset)
            stages("ONNX converted and checked")
        if failures:
            raise ExportError(f"export {label} not published: "
                              + "; ".join(failures))

        manifest = _manifest(
            name=name, version=version, arch=arch, model=model,
            image_size=image_size, preprocessing=preprocessing,
            central_fraction=central_fraction, class_names=class_names,
            top_k=top_k, max_pixels=max_pixels, source=source,
            artifacts=artifacts, parity_source=(
                "validation_data" if validation_data is not None else
                "calibration_data" if calibration_data is not None else
                "random smooth images"),
            calibration=None if calibration is None else len(calibration))
        _io.write_json(os.path.join(partial, MANIFEST), manifest)
        _publish(partial, final, overwrite)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    if "saved_model" in formats:
        serving.write_models_config(path)
    stages(f"published {final}")
    return ExportResult(path=final, version=version, manifest=manifest)


def _manifest(*, name, version, arch, model, image_size, preprocessing,
              central_fraction, class_names, top_k, max_pixels, source,
              artifacts, parity_source, calibration):
    import tensorflow as tf

    import keras_inception
    from keras_inception.models.imagenet import MODE_DESCRIPTIONS
    return {
        "manifest_version": 1,
        "model_name": name,
        "version": version,
        "architecture": arch,
        "keras_model_name": model.name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "input": {"name": "images", "height": image_size,
                  "width": image_size, "channels": 3, "dtype": "float32",
                  "range": [0, 255], "layout": "NHWC, RGB"},
        "preprocessing": {"mode": preprocessing,
                          "description": MODE_DESCRIPTIONS[preprocessing],
                          "in_graph": True,
                          "central_fraction": float(central_fraction),
                          "resize": "bilinear"},
        "outputs": {"probabilities": "float32 [batch, classes]",
                    "top_k_scores": f"float32 [batch, {top_k}] (SavedModel)",
                    "top_k_classes": f"string [batch, {top_k}] (SavedModel)"},
        "class_names": list(class_names),
        "max_pixels": max_pixels,
        "source": source or {"keras_model": model.name},
        "parity_data": {"source": parity_source,
                        "calibration_images": calibration},
        "tolerances": {"fp32_max_abs_diff": FP32_TOLERANCE,
                       "quantized": QUANTIZED_TARGETS},
        "artifacts": artifacts,
        "versions": {"keras_inception": keras_inception.__version__,
                     "tensorflow": tf.__version__,
                     "keras": keras.__version__},
    }


# --------------------------------------------------------------------------
# From a training run, or a registry model and a weights file
# --------------------------------------------------------------------------
def _export_data(dataset, *, image_size, central_fraction, data_dir,
                 **kwargs):
    """Calibration (training images, evaluation view) and labelled
    validation images of ``dataset``, as float 0-255 pixels."""
    from keras_inception.data import pipeline as data_lib
    return data_lib.load(dataset, image_size=image_size, batch_size=32,
                         preprocessing="none", data_dir=data_dir,
                         augment="none", central_fraction=central_fraction,
                         evaluation_only=True, **kwargs)


def export_checkpoint(checkpoint, path="saved_models", formats=(
        "saved_model",), *, name=None, dataset=None, data_dir=None,
        **kwargs):
    """Exports a training run (:func:`keras_inception.runner.train`).

    Args:
        checkpoint: a run folder (its best weights) or a weights file in
            one.
        path, formats: as :func:`export`.
        name: default: the run folder's name.
        dataset: images for calibration and the parity/accuracy checks
            (default: the run's dataset; training images calibrate, the
            validation split checks).
        data_dir: TFDS data folder (default: the run's).
        **kwargs: more :func:`export` arguments (``quantize``, ``version``,
            ``overwrite``, ...).

    Returns:
        An :class:`ExportResult`; the manifest's ``source`` names the
        weights file and its SHA-256, the run and the dataset.
    """
    from keras_inception.training import runner

    model, saved, run_dir, weights = runner.load_run(checkpoint)
    cfg = saved["config"]
    data = _export_data(
        cfg["dataset"] if dataset is None else dataset,
        image_size=cfg["image_size"],
        central_fraction=cfg["central_fraction"],
        data_dir=data_dir if data_dir is not None else cfg["data_dir"],
        validation_fraction=cfg["validation_fraction"], seed=cfg["seed"])
    if list(data.class_names) != list(saved["class_names"]):
        raise ValueError(f"`dataset` has classes {list(data.class_names)[:5]}"
                         f"... but the run was trained on "
                         f"{saved['class_names'][:5]}...")
    source = {"checkpoint": os.path.abspath(weights),
              "checkpoint_sha256": _sha256(weights),
              "run": os.path.abspath(run_dir), "dataset": data.source,
              "trained": {k: cfg[k] for k in (
                  "model", "dataset", "epochs", "batch_size", "image_size",
                  "width_multiplier", "seed")}}
    summary = _io.read_json(os.path.join(run_dir, runner.SUMMARY))
    if summary:
        source["run_val_top1"] = summary.get("best_val_top1")
    name = name if name is not None else \
        os.path.basename(os.path.abspath(run_dir))
    return export(model, path, formats, name=name,
                  class_names=saved["class_names"],
                  preprocessing=saved["preprocessing"],
                  central_fraction=cfg["central_fraction"],
                  calibration_data=data.train,
                  validation_data=data.validation, source=source, **kwargs)


def export_weights(model_name, weights, path="saved_models",
                   formats=("saved_model",), *, classes=1000,
                   input_size=None, width_multiplier=1.0, dataset=None,
                   data_dir=None, central_fraction=0.875, **kwargs):
    """Exports a registry model with a weights file (e.g. one saved from
    keras.applications or by ``model.save_weights``).

    Args:
        model_name: a registry name (``keras_inception.list_models()``).
        weights: a ``.weights.h5`` file; checked layer by layer against the
            model first (a file of another model is refused).
        classes, input_size, width_multiplier: how the model was built
            (``input_size`` default: the model's).
        dataset: optional images for calibration and checks (needed for
            int8); its class names are used when their number matches.
        data_dir: TFDS data folder.
        central_fraction: the evaluation crop.
        **kwargs: more :func:`export` arguments.
    """
    from keras_inception.models import registry
    info = registry.get_model_info(model_name)
    if not isinstance(weights, (str, os.PathLike)) or \
            not os.path.isfile(weights):
        raise ValueError(f"`weights` must be an existing weights file; "
                         f"received {weights!r}.")
    size = info.default_size if input_size is None else input_size
    model = registry.get_model(info.name, weights=os.fspath(weights),
                               classes=classes, input_shape=(size, size, 3),
                               width_multiplier=width_multiplier)
    source = {"weights": os.path.abspath(weights),
              "weights_sha256": _sha256(weights), "model": info.name,
              "classes": classes, "input_size": size,
              "width_multiplier": width_multiplier}
    extra = {}
    if dataset is not None:
        data = _export_data(dataset, image_size=size,
                            central_fraction=central_fraction,
                            data_dir=data_dir)
        extra = dict(calibration_data=data.train,
                     validation_data=data.validation)
        if len(data.class_names) == classes and \
                kwargs.get("class_names") is None:
            extra["class_names"] = list(data.class_names)
        source["dataset"] = data.source
    return export(model, path, formats, central_fraction=central_fraction,
                  source=source, **extra, **kwargs)
