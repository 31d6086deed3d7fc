"""Deployment: export, TF Serving signatures, loading artifacts; imports
the training, data, models and utils subpackages.

The modules, in the order an export runs them:

- :mod:`~keras_inception.deploy.arguments`: checks the arguments before
  anything is written.
- :mod:`~keras_inception.deploy.wrapping`: the deployable model (no aux
  heads; preprocessing and softmax in the graph).
- :mod:`~keras_inception.deploy.converters`: writes the SavedModel, TFLite
  and ONNX.
- :mod:`~keras_inception.deploy.serving`: the SavedModel's signatures,
  warm-up records and ``models.config``.
- :mod:`~keras_inception.deploy.verification`: runs each artifact against
  Keras.
- :mod:`~keras_inception.deploy.manifest`: records the result in
  ``manifest.json``.
- :mod:`~keras_inception.deploy.versions`: publishes the version folder
  atomically.
- :mod:`~keras_inception.deploy.export`: holds the steps together
  (``export``, ``export_checkpoint``, ``export_weights``; the function
  ``export`` is ``keras_inception.deploy.export.export``, since the name
  ``export`` here is that module; also :mod:`keras_inception.export`).
- :mod:`~keras_inception.deploy.artifacts`: runs any artifact the same way
  (``load_artifact``; also :mod:`keras_inception.artifacts`).

Example:
    >>> from keras_inception.deploy import parse_formats, parse_quantize
    >>> parse_quantize("fp16", parse_formats("onnx,tflite"))
    ['fp16']
"""

from keras_inception.utils.lazy import lazy_namespace

# Imported on first use (keras_inception.utils.lazy): importing the
# package loads no TensorFlow.
_NAMESPACE = lazy_namespace(__name__, {
    "arguments": [
        "DEFAULT_OPSET", "FORMATS", "OPSETS", "QUANTIZE", "parse_formats",
        "parse_quantize"],
    "artifacts": [
        "KINDS", "Artifact", "KerasArtifact", "OnnxArtifact",
        "SavedModelArtifact", "TFLiteArtifact", "artifact_kind",
        "load_artifact"],
    "converters": ["ONNX_FILE", "TFLITE_FILES"],
    "export": [
        "ExportError", "ExportResult", "export_checkpoint", "export_weights"],
    "manifest": ["MANIFEST"],
    "serving": [
        "DEFAULT_MAX_PIXELS", "IMAGE_FORMATS", "MODELS_CONFIG", "WARMUP_FILE",
        "check_image_file", "image_view", "models_config", "read_warmup",
        "saved_model_versions", "served_models", "signatures",
        "write_models_config", "write_warmup"],
    "verification": ["FP32_TOLERANCE", "QUANTIZED_TARGETS"],
    "wrapping": ["deployable"],
})
__getattr__ = _NAMESPACE.attribute
__dir__ = _NAMESPACE.listing
__all__ = _NAMESPACE.names
