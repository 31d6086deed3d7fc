"""Writing each artifact: a SavedModel of serving endpoints, its TFLite
conversions (fp32, fp16, dynamic range, integer-only int8), ONNX through
tf2onnx and its int8 quantization by ONNX Runtime, and the file names they
take in a version folder.

Example:
    >>> from keras_inception.deploy.converters import (ONNX_FILE,
    ...     ONNX_INT8_FILE, TFLITE_FILES)
    >>> TFLITE_FILES["int8"], ONNX_FILE, ONNX_INT8_FILE
    ('model_int8.tflite', 'model.onnx', 'model_int8.onnx')
"""

from __future__ import annotations

import os
import warnings

import numpy as np

TFLITE_FILES = {"none": "model.tflite", "fp16": "model_fp16.tflite",
                "dynamic": "model_dynamic.tflite",
                "int8": "model_int8.tflite"}
ONNX_FILE = "model.onnx"
ONNX_INT8_FILE = "model_int8.onnx"
# Images per ONNX Runtime calibration run (each run records every tensor's
# minimum and maximum only, so memory does not grow with the images).
_CALIBRATION_BATCH = 16


def write_saved_model(folder, endpoints, model):
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


def probabilities_endpoint(core):
    """The one endpoint TFLite and ONNX convert: ``serving_default``,
    ``images`` in, ``probabilities`` out."""
    def serving_default(images):
        return {"probabilities": core(images)}
    return {"serving_default": (serving_default, core.input_signature)}


def tflite_source(core):
    """``serving_default`` (``images`` in, ``probabilities`` out) as a
    concrete function with the variables folded into constants: the graph
    every TFLite conversion of one export starts from.

    Freezing once in memory instead of converting a SavedModel written for
    the purpose: the same operators and outputs (checked to 1e-5 and by
    signature names), in 2 s plus 3 s a mode against 7 s plus 9-10 s a
    mode for a width-0.25 Inception-ResNet-v2 (measured), because the
    SavedModel importer loads and freezes every variable again each time.
    """
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)
    serve, signature = probabilities_endpoint(core)["serving_default"]
    frozen = convert_variables_to_constants_v2(
        tf.function(serve, input_signature=signature).get_concrete_function())
    # The frozen function forgets its output names; name them again so the
    # .tflite's serving_default signature says "probabilities".
    return tf.function(lambda images: {"probabilities": frozen(images)[0]},
                       input_signature=signature).get_concrete_function()


def convert_tflite(source, mode, calibration):
    """The ``.tflite`` bytes of ``source`` (from :func:`tflite_source`) in
    quantization ``mode`` (``calibration``: images for int8)."""
    import tensorflow as tf
    # An empty trackable keeps the converter on its current path (it names
    # the signature serving_default); without one it warns and takes the
    # deprecated one, which writes no signatures.
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [source], tf.Module())
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


def convert_onnx(core, opset, path):
    """Writes ``core`` as ONNX at ``opset`` to ``path``, batch dynamic."""
    import tensorflow as tf

    # tf2onnx.convert sets TF_CPP_MIN_LOG_LEVEL=3 for the whole process when
    # imported; keep the caller's setting (child processes inherit it).
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    import tf2onnx
    import tf2onnx.convert  # noqa: F401
    if level is None:
        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    else:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = level

    try:   # Keras's own fixes of tf2onnx for NumPy 2 (as model.export uses)
        from keras.src.export.tf2onnx_lib import patch_tf2onnx
        # Its `hasattr(np, "object")` makes NumPy warn of a future change
        # (a FutureWarning on the user's screen) each time it runs.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "In the future `np.object`",
                                    FutureWarning)
            patch_tf2onnx()
    except ImportError:   # pragma: no cover - a Keras without them
        pass
    serve, signature = probabilities_endpoint(core)["serving_default"]
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


def quantize_onnx(source, path, calibration):
    """Writes the int8 quantization of the float ONNX model at ``source`` to
    ``path``: ONNX Runtime's static quantization, calibrated on the
    ``calibration`` images (float 0-255, ``[N, S, S, 3]``).

    QDQ format with int8 weights per output channel and uint8 activations,
    the combination ONNX Runtime's x86 int8 kernels run fastest (measured
    on the full-size Inception-v3, batch 1 on 2 cores: 14.8 ms against
    27.8 ms for the float model); the model is first shape-inferred and
    optimised (``quant_pre_process``), as the quantizer asks. The softmax
    stays float, so the probabilities are not rounded to 1/256 and top-1
    is not lost to ties among rounded scores.
    """
    import tempfile

    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class _Images(CalibrationDataReader):
        def __init__(self):
            self._batches = iter(
                calibration[i:i + _CALIBRATION_BATCH]
                for i in range(0, len(calibration), _CALIBRATION_BATCH))

        def get_next(self):
            batch = next(self._batches, None)
            return None if batch is None else {
                "images": np.asarray(batch, np.float32)}

    with tempfile.TemporaryDirectory(dir=os.path.dirname(path) or ".") as d:
        prepared = os.path.join(d, "prepared.onnx")
        quant_pre_process(source, prepared)
        softmax = [node.name for node in onnx.load(prepared).graph.node
                   if node.op_type == "Softmax"]
        quantize_static(prepared, path, _Images(),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8,
                        nodes_to_exclude=softmax)
