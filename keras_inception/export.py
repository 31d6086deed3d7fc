"""The documented import path of :mod:`keras_inception.deploy.export`
(``keras_inception.export.export``, ``export_checkpoint``,
``export_weights``) and the constants an export is described by."""

from keras_inception.deploy.arguments import (DEFAULT_OPSET, FORMATS,
                                              OPSETS, QUANTIZE,
                                              parse_formats, parse_quantize)
from keras_inception.deploy.converters import ONNX_FILE, TFLITE_FILES
from keras_inception.deploy.export import (ExportError, ExportResult, export,
                                           export_checkpoint, export_weights)
from keras_inception.deploy.manifest import MANIFEST
from keras_inception.deploy.serving import DEFAULT_MAX_PIXELS
from keras_inception.deploy.verification import (FP32_TOLERANCE,
                                                 QUANTIZED_TARGETS)
from keras_inception.deploy.wrapping import deployable

__all__ = [
    "DEFAULT_MAX_PIXELS", "DEFAULT_OPSET", "FORMATS", "FP32_TOLERANCE",
    "MANIFEST", "ONNX_FILE", "OPSETS", "QUANTIZE", "QUANTIZED_TARGETS",
    "TFLITE_FILES", "ExportError", "ExportResult", "deployable", "export",
    "export_checkpoint", "export_weights", "parse_formats", "parse_quantize",
]
