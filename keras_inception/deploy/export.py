"""Deployment: SavedModel for TF Serving, TFLite / LiteRT and ONNX, each
checked against the Keras model before it is published.

:func:`export` writes one *version* of a model::

    saved_models/<name>/<version>/     the folder TF Serving watches
        saved_model.pb, variables/     SavedModel: serving_default, predict_images
        assets.extra/tf_serving_warmup_requests
        model.tflite                   TFLite fp32 (model_fp16, model_dynamic,
                                       model_int8 for --quantize)
        model.onnx                     ONNX (tf2onnx), dynamic batch
        model_int8.onnx                ONNX int8 (ONNX Runtime, --quantize int8)
        manifest.json                  input, preprocessing, classes, source,
                                       sizes, SHA-256, parity figures
    saved_models/models.config         every served model, for --model_config_file

Every artifact takes float32 ``[batch, S, S, 3]`` RGB pixels in 0-255 and
returns probabilities: preprocessing (and the softmax of a logits model) is
part of the exported graph, auxiliary heads are removed
(:mod:`~keras_inception.deploy.wrapping`). The SavedModel adds top-k outputs
with class names and an encoded-image signature
(:mod:`~keras_inception.deploy.serving`).

Each artifact is checked against Keras before the version folder is
renamed into place (:mod:`keras_inception.deploy` lists the steps' modules);
a float32 artifact off by more than the tolerance raises
:class:`ExportError` and nothing is published.

It runs over 400 lines because :func:`export` is one transaction (check the
arguments, write each artifact into a partial folder, verify it, publish by
rename) whose steps share its state, and the two entry points from a
training run and from a weights file sit beside the function they feed.

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
import logging
import os
import shutil
import time

import keras

from keras_inception.deploy import serving, versions, wrapping
from keras_inception.deploy.arguments import (
    DEFAULT_OPSET, check_before_loading, check_class_names, check_name,
    check_top_k, checked_options, default_preprocessing, take_images)
from keras_inception.deploy.artifacts import (
    ONNX_SESSION_OPTIONS, OnnxArtifact, SavedModelArtifact, TFLiteArtifact)
from keras_inception.deploy.converters import (
    ONNX_FILE, ONNX_INT8_FILE, TFLITE_FILES, convert_onnx, convert_tflite,
    quantize_onnx, tflite_source, write_saved_model)
from keras_inception.deploy.manifest import (MANIFEST, artifact_entry,
                                             build_manifest)
from keras_inception.deploy.serving import DEFAULT_MAX_PIXELS
from keras_inception.deploy.verification import Verifier, random_images
from keras_inception.deploy.wrapping import deployable
from keras_inception.models import registry
from keras_inception.utils import atomic as _io
from keras_inception.utils import faults
from keras_inception.utils.files import check_model_file, sha256

logger = logging.getLogger("keras_inception")


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


class _Stages:
    """Progress of an export on the ``keras_inception`` logger."""

    def __init__(self, label, total):
        self.label, self.total, self.done = label, total, 0
        self.start = time.perf_counter()

    def __call__(self, what):
        self.done += 1
        logger.info("export %s [%d/%d] %s (%.1f s)", self.label, self.done,
                    self.total, what, time.perf_counter() - self.start)


def export(model, path="saved_models", formats=("saved_model",), *,
           name=None, version=None, quantize=None, class_names=None,
           preprocessing=None, central_fraction=0.875, calibration_data=None,
           validation_data=None, parity_images=64, calibration_images=200,
           evaluation_images=1000, opset=DEFAULT_OPSET, top_k=None,
           max_pixels=DEFAULT_MAX_PIXELS, source=None, overwrite=False,
           seed=0, verbose=0):
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
            ``"int8"`` (integer-only, calibrated on ``calibration_data``);
            ``"int8"`` also writes ``model_int8.onnx`` beside ``model.onnx``
            (ONNX Runtime's static quantization, on the same images).
        class_names: one per class (default: ImageNet's names for 1000
            classes, else ``"0"``, ``"1"``, ...).
        preprocessing: a mode of :func:`keras_inception.preprocess_input`
            (``"tf"``, ``"torch"``, ``"caffe"``, ``"caffe_bninception"``);
            ``None``: the architecture's (required for models not built by
            this package).
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
        opset: ONNX opset, within :data:`.arguments.OPSETS`.
        top_k: classes in the SavedModel's ``top_k_*`` outputs (``None``:
            5, or all classes when there are fewer).
        max_pixels: the largest image ``predict_images`` decodes.
        source: a dict recorded in the manifest (checkpoint, dataset, ...).
        overwrite: replace an existing version.
        seed: seeds the random parity images.
        verbose: progress of each check: 0 none, 1 a bar, 2 a line.

    Returns:
        An :class:`ExportResult`.

    Raises:
        TypeError, ValueError: bad arguments, an existing version, before
            anything is written.
        ExportError: a float32 artifact differs from Keras by more than
            :data:`.verification.FP32_TOLERANCE`; nothing is published.
        keras_inception.utils.faults.MachineFault: the disk is full or not
            writable (refused first when even the weights do not fit).
    """
    if not isinstance(model, keras.Model):
        raise TypeError("`model` must be a keras.Model; received "
                        f"{type(model).__name__}.")
    formats, modes, path = checked_options(
        formats, path, quantize=quantize, version=version,
        central_fraction=central_fraction, parity_images=parity_images,
        calibration_images=calibration_images,
        evaluation_images=evaluation_images, max_pixels=max_pixels,
        seed=seed, opset=opset, overwrite=overwrite, verbose=verbose)
    arch = registry.architecture_of(model)
    name = name if name is not None else (arch or model.name)
    check_name(name)
    preprocessing = default_preprocessing(preprocessing, arch)
    if "int8" in modes and calibration_data is None:
        raise ValueError("`quantize` int8 needs `calibration_data` (images "
                         "from the input pipeline) to calibrate its ranges.")
    if source is not None and not isinstance(source, dict):
        raise TypeError(f"`source` must be a dict; received {source!r}.")

    deploy = deployable(model, preprocessing)   # checks the model's shape
    image_size = int(deploy.input_shape[1])
    classes = int(deploy.output_shape[-1])
    class_names = check_class_names(class_names, classes)
    top_k = check_top_k(top_k, classes)

    model_dir = os.path.join(path, name)
    versions.remove_stale_partials(model_dir)
    version, final = versions.choose_version(model_dir, version, overwrite)

    calibration, _ = take_images(calibration_data, calibration_images,
                                 image_size, "calibration_data")
    evaluation, labels = take_images(validation_data, max(
        parity_images, evaluation_images), image_size, "validation_data")
    if evaluation is None:
        evaluation = calibration if calibration is not None else \
            random_images(parity_images, image_size, seed)
    parity_set = evaluation[:parity_images]
    onnx_int8 = "onnx" in formats and "int8" in modes
    modes = modes if "tflite" in formats else []   # the TFLite variants
    quantized = [m for m in modes if m != "none"] + ["int8"] * onnx_int8
    eval_set = evaluation if labels is not None and quantized else None

    label = f"{name}/{version}"
    with faults.writing(path, f"export {label}") as job:
        # Nothing is computed or written when even the weights do not fit.
        job.expect(*versions.space_needed(
            deploy, formats, modes + ["int8"] * onnx_int8))
        stages = _Stages(label, 2 + ("saved_model" in formats)
                         + (len(modes) + 1 if modes else 0)
                         + ("onnx" in formats) + onnx_int8)
        # Artifacts are written from the BN-folded copy and checked against
        # the model as given, so the check covers the folding too.
        core = wrapping.core(deploy, image_size)
        served = wrapping.folded(deploy)
        serve = wrapping.core(served, image_size)
        verifier = Verifier(label, core, parity_set, eval_set, labels,
                            verbose)
        stages(f"Keras outputs on {len(verifier.eval_reference)} images")

        partial = versions.make_partial(model_dir, version)
        artifacts = {}
        loader = dict(image_size=image_size, class_names=class_names,
                      central_fraction=float(central_fraction),
                      max_pixels=max_pixels)
        try:
            def check(key, artifact, files, mode="none", **extra):
                artifacts[key] = artifact_entry(partial, files, **extra)
                artifacts[key].update(verifier.check(key, artifact, mode))

            if "saved_model" in formats:
                write_saved_model(partial, serving.signatures(
                    serve, class_names=class_names, image_size=image_size,
                    central_fraction=float(central_fraction),
                    max_pixels=max_pixels, top_k=top_k), served)
                serving.write_warmup(partial, name, image_size)
                files = sorted(os.listdir(partial))
                check("saved_model", SavedModelArtifact(partial, **loader),
                      files, signatures=["serving_default",
                                         "predict_images"], top_k=top_k)
                stages("SavedModel written and checked")
            if modes:
                frozen = tflite_source(serve)
                stages("TFLite source graph frozen")
                for mode in modes:
                    filename = TFLITE_FILES[mode]
                    with open(os.path.join(partial, filename), "wb") as f:
                        f.write(convert_tflite(frozen, mode, calibration))
                    key = "tflite" if mode == "none" else f"tflite_{mode}"
                    check(key, TFLiteArtifact(
                        os.path.join(partial, filename), **loader), [filename],
                        mode=mode, quantization=mode)
                    stages(f"TFLite {mode if mode != 'none' else 'fp32'} "
                           "converted and checked")
            if "onnx" in formats:
                convert_onnx(serve, opset, os.path.join(partial, ONNX_FILE))
                check("onnx", OnnxArtifact(
                    os.path.join(partial, ONNX_FILE), **loader), [ONNX_FILE],
                    opset=opset, session_options=ONNX_SESSION_OPTIONS)
                stages("ONNX converted and checked")
            if onnx_int8:
                quantize_onnx(os.path.join(partial, ONNX_FILE),
                              os.path.join(partial, ONNX_INT8_FILE),
                              calibration)
                check("onnx_int8", OnnxArtifact(
                    os.path.join(partial, ONNX_INT8_FILE), **loader),
                    [ONNX_INT8_FILE], mode="int8", opset=opset,
                    quantization="int8", session_options=ONNX_SESSION_OPTIONS)
                stages("ONNX int8 quantized and checked")
            if verifier.failures:
                raise ExportError(f"export {label} not published: "
                                  + "; ".join(verifier.failures))

            manifest = build_manifest(
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
            versions.publish(partial, final, overwrite)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        if "saved_model" in formats:
            serving.write_models_config(path)
        stages(f"published {final}")
        return ExportResult(path=final, version=version, manifest=manifest)


# --------------------------------------------------------------------------
# From a training run, or a registry model and a weights file
# --------------------------------------------------------------------------
def export_data(dataset, *, image_size, central_fraction, data_dir,
                 **kwargs):
    """Calibration (training images, evaluation view) and labelled
    validation images of ``dataset``, as float 0-255 pixels: what an
    export (and ``benchmark --runtimes``) calibrates and checks on."""
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

    check_before_loading(formats, path, name=name, **kwargs)
    model, saved, run_dir, weights = runner.load_run(checkpoint)
    cfg = saved["config"]
    data = export_data(
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
              "checkpoint_sha256": sha256(weights),
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
    info = registry.get_model_info(model_name, "model")
    check_before_loading(formats, path, central_fraction=central_fraction,
                         **kwargs)
    check_model_file(weights, "weights")
    size = info.default_size if input_size is None else input_size
    model = registry.get_model(info.name, weights=os.fspath(weights),
                               classes=classes, input_shape=(size, size, 3),
                               width_multiplier=width_multiplier)
    source = {"weights": os.path.abspath(weights),
              "weights_sha256": sha256(weights), "model": info.name,
              "classes": classes, "input_size": size,
              "width_multiplier": width_multiplier}
    extra = {}
    if dataset is not None:
        data = export_data(dataset, image_size=size,
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
