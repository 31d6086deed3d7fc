"""Deployment: every artifact kind checked in its own runtime against Keras.

References are independent of the export code: Keras's output on
``preprocess_input`` images, and each artifact run directly in its runtime
(``tf.saved_model.load``, ai-edge-litert's ``Interpreter``, an onnxruntime
``InferenceSession``), never through :mod:`keras_inception.artifacts`.

* every generation, trained (``tests/data/trained``, width 0.125, made by
  ``tools/train_export_fixtures.py``): SavedModel, ONNX and TFLite fp32
  within 1e-4 of Keras, fp16 and dynamic-range TFLite top-1 agreement
  >= 99% on 64 held-out images of the embedded dataset;
* a full-size Inception-v3 with its auxiliary head (stripped on export);
* the trained GoogLeNet of ``tests/data/trained`` as a run folder
  (``trained_run``): fp16
  and dynamic-range agreement, int8 agreement and accuracy (TFLite and
  ONNX),
  ``predict_images`` against ``predict`` with the checkpoint, ``predict``
  with every artifact kind, SIGKILL mid-export, ``saved_model_cli``, a
  fresh process, warm-up records, bad input.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
import tensorflow as tf

import keras_inception
from keras_inception.data import pipeline as data
from keras_inception.deploy import export
from keras_inception.deploy import serving
from keras_inception.deploy.verification import random_images

from keras_inception.data import shapes
from tests.helpers import CHILD_ENV, cli_here, run_cli
from tests.trained_fixtures import (TRAINED_SIZE, image_size,
                                    trained_model, validation_images)

ENV = CHILD_ENV


# --------------------------------------------------------------------------
# The runtimes, used directly
# --------------------------------------------------------------------------
def run_saved_model(folder, images):
    loaded = tf.saved_model.load(folder)
    return loaded.signatures["serving_default"](
        images=tf.constant(images))["probabilities"].numpy()


def run_tflite(path, images):
    from ai_edge_litert.interpreter import Interpreter
    runner = Interpreter(model_path=path).get_signature_runner()
    detail = runner.get_input_details()["images"]
    out_detail = runner.get_output_details()["probabilities"]
    if detail["dtype"] != np.float32:
        scale, zero = detail["quantization"]
        images = np.clip(np.round(images / scale + zero), 0, 255).astype(
            detail["dtype"])
    outs = [runner(images=images[i:i + 16])["probabilities"]
            for i in range(0, len(images), 16)]
    out = np.concatenate(outs).astype(np.float32)
    if out_detail["dtype"] != np.float32:
        scale, zero = out_detail["quantization"]
        out = (out - zero) * scale
    return out


def run_onnx(path, images):
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"images": images})[0]


def keras_reference(model, images, mode):
    model = keras_inception.strip_aux(model)
    return np.concatenate([
        np.asarray(model(keras_inception.preprocess_input(
            images[i:i + 16], mode=mode), training=False))
        for i in range(0, len(images), 16)])


def agreement(a, b):
    return float(np.mean(a.argmax(-1) == b.argmax(-1)))


# --------------------------------------------------------------------------
# Every generation
# --------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", keras_inception.list_models())
def test_every_generation_exports_agree_with_keras(name, tmp_path):
    # A trained network of each generation (tests/data/trained, made by
    # tools/train_export_fixtures.py): on a random-init one the class
    # scores sit within quantization noise of each other, so fp16 and
    # dynamic-range agreement would test the seed, not the export.
    model = trained_model(name)
    images, labels = validation_images(64, image_size(name))
    mode = keras_inception.get_model_info(name).preprocessing
    result = export.export(
        model, tmp_path, "saved_model,tflite,onnx",
        quantize="none,fp16,dynamic", class_names=list(shapes.CLASS_NAMES),
        validation_data=[(images, labels)], central_fraction=1.0,
        evaluation_images=len(images))
    assert result.path == os.path.join(str(tmp_path), name, "1")
    ref = keras_reference(model, images, mode)
    # The shipped weights are trained: these are held-out images.
    assert float(np.mean(ref.argmax(-1) == labels)) >= 0.8

    measured = {
        "saved_model": run_saved_model(result.path, images),
        "onnx": run_onnx(result.artifact("onnx"), images),
        "tflite": run_tflite(result.artifact("tflite"), images),
    }
    for kind, out in measured.items():
        diff = float(np.max(np.abs(out - ref)))
        assert diff <= 1e-4, (kind, diff)
        recorded = result.manifest["artifacts"][kind]["parity"]
        assert recorded["max_abs_diff"] <= 1e-4
        assert recorded["images"] == 64
    # fp16 and dynamic range: top-1 agreement >= 99% on the 64 images, run
    # here in ai-edge-litert, and the manifest's figure is the same.
    for quantized in ("fp16", "dynamic"):
        out = run_tflite(result.artifact(f"tflite_{quantized}"), images)
        entry = result.manifest["artifacts"][f"tflite_{quantized}"]
        assert agreement(out, ref) >= 0.99, (quantized, agreement(out, ref))
        assert entry["accuracy"]["top1_agreement"] == agreement(out, ref)
        assert entry["meets_targets"] is True


@pytest.mark.slow
def test_full_size_inception_v3_with_aux_head(tmp_path):
    model = keras_inception.InceptionV3(aux_logits=True)
    # Sharper scores than at initialisation, so 1e-4 on probabilities is
    # a real bound (random weights spread 1000 scores around 0.001).
    dense = model.get_layer("predictions")
    kernel, bias = dense.get_weights()
    rng = np.random.default_rng(0)
    dense.set_weights([kernel * 20, rng.normal(0, 3, bias.shape)])
    # TFLite fp32 parity is checked for every generation at small size; at
    # full size the SavedModel and ONNX files are the check.
    result = export.export(model, tmp_path, ["saved_model", "onnx"],
                           parity_images=4)
    images = random_images(4, 299, seed=1)
    ref = keras_reference(model, images, "tf")
    assert ref.shape == (4, 1000) and ref.max() > 0.01
    for out in (run_saved_model(result.path, images),
                run_onnx(result.artifact("onnx"), images)):
        assert out.shape == (4, 1000)
        assert float(np.max(np.abs(out - ref))) <= 1e-4
    manifest = result.manifest
    assert manifest["architecture"] == "inception_v3"
    assert manifest["input"]["height"] == 299
    assert manifest["class_names"][0] == "tench"   # ImageNet's names


# --------------------------------------------------------------------------
# Image decoding in the serving graph
# --------------------------------------------------------------------------
def _encode(fmt, array):
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt,shape", [
    ("JPEG", (37, 53, 3)), ("PNG", (41, 29, 4)), ("PNG", (30, 31)),
    ("GIF", (33, 45)), ("BMP", (27, 50, 3))])
def test_header_sizes_match_pillow(fmt, shape):
    rng = np.random.default_rng(0)
    array = rng.integers(0, 255, shape, dtype=np.uint8)
    if fmt == "GIF":
        from PIL import Image
        import io
        buffer = io.BytesIO()
        Image.fromarray(array).convert("P").save(buffer, format="GIF")
        encoded = buffer.getvalue()
    else:
        encoded = _encode(fmt, array)
    height, width = serving._header_size(tf.constant(encoded))
    assert (int(height), int(width)) == shape[:2]
    view = serving.image_view(tf.constant(encoded), image_size=24,
                              central_fraction=1.0, max_pixels=10 ** 6)
    assert view.shape == (24, 24, 3) and view.dtype == tf.float32


def test_top_down_bmp_height_is_positive():
    encoded = bytearray(_encode("BMP", np.zeros((12, 20, 3), np.uint8)))
    height = int.from_bytes(encoded[22:26], "little", signed=True)
    encoded[22:26] = (-height).to_bytes(4, "little", signed=True)
    h, w = serving._header_size(tf.constant(bytes(encoded)))
    assert (int(h), int(w)) == (12, 20)


def test_huge_image_refused_before_decoding(tmp_path):
    # A PNG header claiming 60000 x 60000 pixels and no pixel data: the size
    # check fires, not the decoder.
    encoded = _encode("PNG", np.zeros((2, 2, 3), np.uint8))
    fake = encoded[:16] + (60000).to_bytes(4, "big") + \
        (60000).to_bytes(4, "big") + encoded[24:]
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_pixels"):
        serving.image_view(tf.constant(fake), image_size=8,
                           central_fraction=1.0, max_pixels=10 ** 8)
    path = tmp_path / "huge.png"
    path.write_bytes(fake)
    with pytest.raises(ValueError, match="more than max_pixels"):
        serving.check_image_file(str(path), max_pixels=10 ** 8)


@pytest.mark.parametrize("payload,message", [
    (b"hello, this is text", "not a JPEG, PNG, GIF or BMP"),
    (b"", "not a JPEG, PNG, GIF or BMP"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "truncated image header"),
    (b"BM\x00\x00", "truncated image header"),
])
def test_bad_bytes_give_clear_errors(payload, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        serving.image_view(tf.constant(payload), image_size=8,
                           central_fraction=1.0, max_pixels=10 ** 6)


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_model():
    return keras_inception.InceptionV1(input_shape=(32, 32, 3), classes=3,
                                       width_multiplier=0.25)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"formats": "saved_model,pdf"}, ValueError, "unknown format 'pdf'"),
    ({"formats": ""}, ValueError, "`formats` is empty"),
    ({"formats": 3}, TypeError, "`formats` must be"),
    ({"formats": "onnx", "quantize": "fp16"}, ValueError,
     "applies to the tflite format \\(onnx: int8\\)"),
    ({"formats": "saved_model", "quantize": "int8"}, ValueError,
     "applies to the tflite format only"),
    ({"formats": "onnx", "quantize": "int8"}, ValueError,
     "needs `calibration_data`"),
    ({"formats": "tflite", "quantize": "int4"}, ValueError,
     "unknown mode 'int4'"),
    ({"formats": "tflite", "quantize": "int8"}, ValueError,
     "needs `calibration_data`"),
    ({"version": 0}, ValueError, "`version` must be a positive integer"),
    ({"version": "2"}, TypeError, "`version` must be a positive integer"),
    ({"name": "../x"}, ValueError, "`name` must be"),
    ({"name": "12"}, ValueError, "not a number"),
    ({"formats": "onnx", "opset": 7}, ValueError, "`opset` must be in"),
    ({"top_k": 4}, ValueError, "`top_k` must be at most"),
    ({"top_k": 0}, ValueError, "`top_k` must be a positive integer"),
    ({"class_names": ["a", "b"]}, ValueError, "has 2 names"),
    ({"central_fraction": 0}, ValueError, "`central_fraction`"),
    ({"max_pixels": -1}, ValueError, "`max_pixels`"),
    ({"preprocessing": "bgr"}, ValueError,
     "`preprocessing` must be one of 'tf', 'torch', 'caffe', "
     "'caffe_bninception' or None; received 'bgr'"),
    ({"validation_data": np.zeros((2, 40, 40, 3))}, ValueError,
     r"shape \(32, 32, 3\)"),
])
def test_bad_arguments_fail_before_anything_is_written(
        tiny_model, tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        export.export(tiny_model, tmp_path / "out", **kwargs)
    leftovers = [] if not (tmp_path / "out").exists() else [
        p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert leftovers == []


def test_models_outside_the_package_need_preprocessing(tmp_path):
    import keras
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(
        inputs))
    model = keras.Model(inputs, outputs, name="plain")
    with pytest.raises(ValueError, match="`preprocessing` must be given"):
        export.export(model, tmp_path)
    # A logits model gets a softmax: its exported scores sum to one, and
    # the preprocessing asked for (here the Caffe BN-Inception's BGR
    # means) is in the graph.
    result = export.export(model, tmp_path, "onnx",
                           preprocessing="caffe_bninception", parity_images=4)
    images = random_images(4, 32, seed=0)
    out = run_onnx(result.artifact("onnx"), images)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
    expected = keras.ops.softmax(model(keras_inception.preprocess_input(
        images, mode="caffe_bninception")))
    np.testing.assert_allclose(out, np.asarray(expected), atol=1e-6)
    assert result.manifest["model_name"] == "plain"
    assert result.manifest["preprocessing"]["mode"] == "caffe_bninception"


def test_non_square_or_headless_models_are_refused(tmp_path):
    wide = keras_inception.InceptionV1(input_shape=(32, 48, 3), classes=3,
                                       width_multiplier=0.25)
    with pytest.raises(ValueError, match="square RGB images"):
        export.export(wide, tmp_path)
    maps = keras_inception.InceptionV1(include_top=False,
                                       input_shape=(32, 32, 3),
                                       width_multiplier=0.25)
    with pytest.raises(ValueError, match="must end in a classifier"):
        export.export(maps, tmp_path, preprocessing="tf")


def test_existing_version_is_never_replaced_without_overwrite(
        tiny_model, tmp_path):
    first = export.export(tiny_model, tmp_path, "onnx", parity_images=2)
    assert first.version == 1
    second = export.export(tiny_model, tmp_path, "onnx", parity_images=2)
    assert second.version == 2           # the next number by default
    before = open(first.artifact("onnx"), "rb").read()
    with pytest.raises(ValueError, match="exists"):
        export.export(tiny_model, tmp_path, "onnx", version=1)
    assert open(first.artifact("onnx"), "rb").read() == before
    replaced = export.export(tiny_model, tmp_path, "tflite", version=1,
                             overwrite=True, parity_images=2)
    assert sorted(os.listdir(replaced.path)) == ["manifest.json",
                                                 "model.tflite"]
    assert sorted(os.listdir(tmp_path / "inception_v1")) == ["1", "2"]


# --------------------------------------------------------------------------
# A model trained on the embedded dataset: the `trained_run` fixture
# (conftest.py, tests/trained_fixtures.py)
# --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def trained_export(trained_run, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("exports"))
    result = export.export_checkpoint(
        trained_run, out, "saved_model,tflite,onnx",
        quantize="none,fp16,dynamic,int8")
    return result


@pytest.fixture(scope="session")
def image_files(trained_run, tmp_path_factory):
    """Twelve validation images of the run's dataset as JPEG, PNG, BMP and
    GIF files."""
    from keras_inception.training.runner import model_from_run
    _, saved = model_from_run(trained_run)
    d = data.load("default", image_size=TRAINED_SIZE, batch_size=12,
                  data_dir=saved["config"]["data_dir"],
                  preprocessing="none", augment="none",
                  central_fraction=1.0, evaluation_only=True)
    images, _ = next(iter(d.validation))
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for i, image in enumerate(images.numpy().astype(np.uint8)):
        fmt = ("JPEG", "PNG", "BMP", "GIF")[i % 4]
        path = folder / f"image_{i:02d}.{fmt.lower()}"
        path.write_bytes(_encode(fmt, image))
        paths.append(str(path))
    return paths


pytestmark_trained = pytest.mark.xdist_group("trained")


@pytest.mark.slow
@pytestmark_trained
def test_quantized_artifacts_of_a_trained_model_meet_their_targets(
        trained_export, trained_run):
    from keras_inception.training.runner import model_from_run
    model, saved = model_from_run(trained_run)
    d = data.load("default", image_size=TRAINED_SIZE, batch_size=100,
                  data_dir=saved["config"]["data_dir"], preprocessing="none",
                  augment="none", central_fraction=1.0, evaluation_only=True)
    images, labels = map(np.concatenate, zip(*[
        (x.numpy(), y.numpy()) for x, y in d.validation]))
    ref = keras_reference(model, images, "tf")
    keras_top1 = float(np.mean(ref.argmax(-1) == labels))
    # Recomputed here, in ai-edge-litert against the Keras checkpoint, the
    # figures must be the manifest's to within one image of the 1000: a
    # separate run may flip a single image whose two best scores tie.
    one_image = 1.0 / len(images) + 1e-9
    for mode in ("fp16", "dynamic", "int8"):
        entry = trained_export.manifest["artifacts"][f"tflite_{mode}"]
        accuracy = entry["accuracy"]
        assert accuracy["images"] == 1000
        assert accuracy["keras_top1"] == pytest.approx(keras_top1, abs=1e-9)
        out = run_tflite(trained_export.artifact(f"tflite_{mode}"), images)
        assert agreement(out, ref) == pytest.approx(
            accuracy["top1_agreement"], abs=one_image), mode
        drop = 100 * (keras_top1 - float(np.mean(out.argmax(-1) == labels)))
        assert drop == pytest.approx(accuracy["accuracy_drop_points"],
                                     abs=100 * one_image), mode
        assert entry["meets_targets"] is True, (mode, accuracy)
        if mode == "int8":
            assert agreement(out, ref) >= 0.95
            assert drop <= 2.0
        else:
            # The 99% target, on all 1000 images: on 64 it allows no flip
            # at all, and measured runs of this fixture flip 0 or 1 of
            # the first 64 (99.6% agreement on the 1000).
            assert agreement(out, ref) >= 0.99 - one_image, mode
    # ONNX int8 (ONNX Runtime's static quantization), run in its own
    # InferenceSession: the int8 targets on the same 1000 images.
    entry = trained_export.manifest["artifacts"]["onnx_int8"]
    out = run_onnx(trained_export.artifact("onnx_int8"), images)
    assert agreement(out, ref) == pytest.approx(
        entry["accuracy"]["top1_agreement"], abs=one_image)
    assert agreement(out, ref) >= 0.95
    assert 100 * (keras_top1 - float(np.mean(out.argmax(-1) == labels))) \
        <= 2.0
    assert entry["meets_targets"] is True and entry["quantization"] == "int8"
    # Quantized files are smaller than float32.
    sizes = {k: v["bytes"] for k, v in
             trained_export.manifest["artifacts"].items()}
    assert sizes["tflite_dynamic"] < sizes["tflite_fp16"] < sizes["tflite"]
    assert sizes["tflite_int8"] < sizes["tflite_fp16"]
    # (a quarter at full size; this narrow model's quantization parameters
    # weigh as much as its weights)
    assert sizes["onnx_int8"] < sizes["onnx"]
    # The int8 file holds integer tensors: uint8 in and out.
    from ai_edge_litert.interpreter import Interpreter
    runner = Interpreter(model_path=trained_export.artifact(
        "tflite_int8")).get_signature_runner()
    assert runner.get_input_details()["images"]["dtype"] == np.uint8
    assert runner.get_output_details()["probabilities"]["dtype"] == np.uint8


@pytestmark_trained
def test_manifest_records_sources_sizes_and_hashes(trained_export,
                                                   trained_run):
    import hashlib
    manifest = json.load(open(os.path.join(trained_export.path,
                                           "manifest.json")))
    assert manifest == json.loads(json.dumps(trained_export.manifest))
    assert manifest["model_name"] == "shapes_v1"
    assert manifest["source"]["checkpoint"] == os.path.abspath(
        os.path.join(trained_run, "best.weights.h5"))
    assert manifest["preprocessing"]["mode"] == "tf"
    assert manifest["class_names"][:2] == ["disc_small", "disc_large"]
    for entry in manifest["artifacts"].values():
        for f in entry["files"]:
            full = os.path.join(trained_export.path, f["path"])
            assert os.path.getsize(full) == f["bytes"]
            assert hashlib.sha256(open(full, "rb").read()).hexdigest() == \
                f["sha256"]
    listed = {f["path"] for e in manifest["artifacts"].values()
              for f in e["files"]}
    on_disk = {os.path.relpath(os.path.join(d, f), trained_export.path)
               for d, _, fs in os.walk(trained_export.path) for f in fs}
    assert on_disk - listed == {"manifest.json"}


@pytestmark_trained
def test_predict_images_matches_predict_with_the_checkpoint(
        trained_export, trained_run, image_files, capsys):
    loaded = tf.saved_model.load(trained_export.path)
    encoded = [open(p, "rb").read() for p in image_files]
    out = loaded.signatures["predict_images"](
        image_bytes=tf.constant(encoded))
    served = [c.decode() for c in out["top_k_classes"].numpy()[:, 0]]
    result = cli_here(capsys, "predict", *image_files, "--artifact",
                      trained_run)
    assert result.returncode == 0, result.stderr
    assert _top1(result.stdout) == dict(zip(image_files, served))
    scores = out["top_k_scores"].numpy()
    assert np.all(np.diff(scores, axis=1) <= 0)   # best first


def _top1(stdout):
    """``{image: top-1 class}`` from ``keras-inception predict``."""
    lines = stdout.splitlines()[1:]
    top = {}
    for i, line in enumerate(lines):
        if line.strip().startswith("1. "):
            top[lines[i - 1]] = line.split()[1]
    return top


@pytestmark_trained
def test_predict_prints_the_same_top1_for_every_artifact_kind(
        trained_export, image_files, capsys):
    tops = {}
    for artifact in (trained_export.path, trained_export.artifact("tflite"),
                     trained_export.artifact("onnx")):
        result = cli_here(capsys, "predict", *image_files, "--artifact",
                          artifact, "--top", "3")
        assert result.returncode == 0, result.stderr
        tops[artifact] = _top1(result.stdout)
        assert len(tops[artifact]) == len(image_files)
        assert result.stdout.count(" 3. ") == len(image_files)
    first, *others = tops.values()
    for other in others:
        assert other == first
    # The folder of versions serves its newest version.
    model_dir = os.path.dirname(trained_export.path)
    result = cli_here(capsys, "predict", image_files[0], "--artifact",
                      model_dir)
    assert result.returncode == 0
    assert _top1(result.stdout)[image_files[0]] == first[image_files[0]]


@pytestmark_trained
def test_saved_model_as_tf_serving_sees_it(trained_export, tmp_path):
    cli_path = os.path.join(os.path.dirname(sys.executable),
                            "saved_model_cli")
    shown = subprocess.run([cli_path, "show", "--dir", trained_export.path,
                            "--all"], capture_output=True, text=True,
                           env=ENV, timeout=300)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    for expected in ("signature_def['serving_default']",
                     "signature_def['predict_images']",
                     "inputs['images'] tensor_info:",
                     f"shape: (-1, {TRAINED_SIZE}, {TRAINED_SIZE}, 3)",
                     "inputs['image_bytes'] tensor_info:",
                     "dtype: DT_STRING",
                     "outputs['probabilities']", "outputs['top_k_classes']",
                     "outputs['top_k_scores']"):
        assert expected in text, expected
    # Loads and serves in a process that never saw the model's code.
    script = (
        "import sys, tensorflow as tf\n"
        "m = tf.saved_model.load(sys.argv[1])\n"
        "out = m.signatures['predict_images'](image_bytes=tf.constant("
        "[open(sys.argv[2], 'rb').read()]))\n"
        "print(out['top_k_classes'].numpy()[0, 0].decode())\n")
    jpeg = tmp_path / "x.jpg"
    jpeg.write_bytes(serving._warmup_image(TRAINED_SIZE))
    fresh = subprocess.run([sys.executable, "-c", script,
                            trained_export.path, str(jpeg)],
                           capture_output=True, text=True, env=ENV,
                           timeout=300, cwd=str(tmp_path))
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.strip() in trained_export.manifest["class_names"]
    # Warm-up records parse back into PredictionLogs for both signatures.
    logs = serving.read_warmup(trained_export.path)
    assert {log.predict_log.request.model_spec.signature_name
            for log in logs} == {"serving_default", "predict_images"}
    assert all(log.predict_log.request.model_spec.name == "shapes_v1"
               for log in logs)
    # models.config parses as a ModelServerConfig naming the model.
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2
    base = os.path.dirname(os.path.dirname(trained_export.path))
    config = text_format.Parse(
        open(os.path.join(base, "models.config")).read(),
        model_server_config_pb2.ModelServerConfig())
    entries = config.model_config_list.config
    assert [(c.name, c.base_path) for c in entries] == [
        ("shapes_v1", "/models/shapes_v1")]


@pytestmark_trained
def test_undecodable_bytes_fail_in_the_serving_graph(trained_export):
    loaded = tf.saved_model.load(trained_export.path)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="not a JPEG, PNG, GIF or BMP"):
        loaded.signatures["predict_images"](
            image_bytes=tf.constant([b"definitely not an image"]))


@pytestmark_trained
def test_export_killed_halfway_leaves_no_version_and_reruns(
        trained_run, tmp_path):
    out = tmp_path / "served"
    command = [sys.executable, "-m", "keras_inception.cli", "export",
               "--checkpoint", trained_run, "--format", "saved_model,tflite",
               "--version", "3", "--output", str(out)]
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    model_dir = out / "shapes_v1"
    deadline = time.time() + 300
    partial = None
    while time.time() < deadline and process.poll() is None:
        partials = list(model_dir.glob(".3.partial-*")) if \
            model_dir.exists() else []
        # Halfway: the SavedModel is written, TFLite not yet.
        if partials and (partials[0] / "saved_model.pb").exists():
            partial = partials[0]
            break
        time.sleep(0.05)
    assert partial is not None, "the export finished before it was killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (model_dir / "3").exists()
    assert serving.served_models(str(out)) == []     # nothing TF Serving loads
    result = subprocess.run(command, env=ENV, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "interrupted export" in result.stderr
    assert sorted(os.listdir(model_dir)) == ["3"]    # leftovers removed
    assert os.path.isfile(model_dir / "3" / "model.tflite")
    zeros = np.zeros((1, TRAINED_SIZE, TRAINED_SIZE, 3), np.float32)
    assert run_saved_model(str(model_dir / "3"), zeros).shape == (1, 10)


# One test, not a parametrized one: under pytest 9 and pytest-xdist 3.8,
# parametrized items do not get the "@trained" group suffix, so they were
# scheduled on the other worker, which then trained the fixture again
# (measured: 452 s setup on both workers).
EXPORT_CLI_ERRORS = [
    (["--format", "saved_model,zip"], "unknown format 'zip'"),
    (["--format", "onnx", "--quantize", "dynamic"],
     "applies to the tflite format (onnx: int8)"),
    (["--format", "tflite", "--quantize", "int2"], "unknown mode 'int2'"),
    (["--version", "1"], "exists"),
]


@pytestmark_trained
def test_export_cli_errors_write_nothing(trained_run, tmp_path, capsys):
    out = tmp_path / "served"
    (out / "shapes_v1" / "1").mkdir(parents=True)
    before = sorted(p.name for p in (out / "shapes_v1").iterdir())
    for args, match in EXPORT_CLI_ERRORS:
        code, _, err = run_cli(capsys, "export", "--checkpoint", trained_run,
                               "--output", out, *args)
        assert code == 2, args
        assert match in err, args
        assert "Traceback" not in err, args
        assert sorted(p.name for p in (out / "shapes_v1").iterdir()) == \
            before, args


@pytestmark_trained
def test_weights_of_another_model_are_refused(trained_run, tmp_path,
                                              capsys):
    result = cli_here(capsys, "export", "--model", "inception_v3", "--weights",
                 os.path.join(trained_run, "best.weights.h5"),
                 "--classes", "10", "--input-size", "75",
                 "--width-multiplier", "0.25", "--output", tmp_path / "o")
    assert result.returncode == 2
    assert "does not fit" in result.stderr
    assert not (tmp_path / "o").exists()


@pytestmark_trained
def test_predict_refuses_files_that_are_not_images(trained_export,
                                                   tmp_path, capsys):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    for artifact in (trained_export.path,
                     trained_export.artifact("onnx")):
        result = cli_here(capsys, "predict", text, "--artifact", artifact)
        assert result.returncode == 2
        assert "notes.jpg" in result.stderr
        assert "not a JPEG, PNG, GIF or BMP image" in result.stderr
        assert "Traceback" not in result.stderr
        # TensorFlow's assertion wording never reaches the user.
        assert "Summarized data" not in result.stderr
        assert "Expected" not in result.stderr
    missing = cli_here(capsys, "predict", text, "--artifact",
                       tmp_path / "nothing")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytestmark_trained
def test_a_broken_image_among_good_ones_is_named(trained_export, image_files,
                                                 tmp_path, capsys):
    """The SavedModel decodes the batch in its graph; the error still
    names the one file that broke it."""
    broken = tmp_path / "broken.jpg"
    with open(image_files[0], "rb") as f:
        head = f.read(40)
    broken.write_bytes(b"\xff\xd8\xff" + head[3:])   # a JPEG cut short
    result = cli_here(capsys, "predict", image_files[1], broken,
                      "--artifact", trained_export.path)
    assert result.returncode == 2
    assert f"{broken}: " in result.stderr
    assert "{{" not in result.stderr and "Traceback" not in result.stderr


@pytestmark_trained
def test_truncated_exports_are_named_with_what_is_wrong(trained_export,
                                                        image_files,
                                                        tmp_path, capsys):
    for key, what in (("tflite", "TFLite model"), ("onnx", "ONNX model")):
        source = trained_export.artifact(key)
        folder = tmp_path / key
        folder.mkdir()
        shutil.copy(os.path.join(os.path.dirname(source), "manifest.json"),
                    folder)
        cut = folder / os.path.basename(source)
        with open(source, "rb") as f:
            cut.write_bytes(f.read(os.path.getsize(source) // 2))
        result = cli_here(capsys, "predict", image_files[0], "--artifact",
                          cut)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr
        assert f"--artifact {str(cut)!r} is not a loadable {what}" in \
            lines[0]


# --------------------------------------------------------------------------
# TF Serving itself, where it is installed
# --------------------------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytestmark_trained
@pytest.mark.skipif(shutil.which("tensorflow_model_server") is None,
                    reason="tensorflow_model_server is not on PATH (no "
                    "binary on PyPI or Debian; see README for Docker)")
def test_tf_serving_rest_api(trained_export, image_files, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        ["tensorflow_model_server", f"--rest_api_port={port}",
         f"--port={_free_port()}", "--model_name=shapes_v1",
         f"--model_base_path={os.path.abspath(os.path.dirname(trained_export.path))}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1/models/shapes_v1:predict"
        body = json.dumps({"signature_name": "predict_images", "instances": [
            {"b64": base64.b64encode(open(p, "rb").read()).decode()}
            for p in image_files]}).encode()
        for _ in range(120):
            try:
                reply = json.load(urllib.request.urlopen(
                    urllib.request.Request(url, body), timeout=10))
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("TF Serving did not answer")
        served = [p["top_k_classes"][0] for p in reply["predictions"]]
        loaded = tf.saved_model.load(trained_export.path)
        local = loaded.signatures["predict_images"](image_bytes=tf.constant(
            [open(p, "rb").read() for p in image_files]))
        assert served == [c.decode() for c in
                          local["top_k_classes"].numpy()[:, 0]]
    finally:
        server.kill()


@pytestmark_trained
def test_runtimes_of_a_trained_run_read_its_validation_split(trained_run):
    """`benchmark --runtimes --checkpoint`: the run's own validation images
    are the held-out set, and the int8 artifacts of the trained GoogLeNet
    agree with Keras on >= 95% of them (as the export's targets ask)."""
    from keras_inception.benchmark import run_runtimes
    report = run_runtimes(checkpoint=trained_run,
                          runtimes="tflite_int8,onnx_int8", batch_size=4,
                          repeats=1, round_seconds=0.01,
                          agreement_images=300, calibration_images=50,
                          progress="none")
    assert report.settings["trained"] is True
    assert report.settings["image_size"] == TRAINED_SIZE
    rows = {r["runtime"]: r for r in report.rows
            if r["measure"] == "latency"}
    assert set(rows) == {"keras", "tflite_int8", "onnx_int8"}
    assert rows["keras"]["top1"] > 0.9 and rows["keras"]["agreement_images"] \
        == 300
    for key in ("tflite_int8", "onnx_int8"):
        assert rows[key]["top1_agreement"] >= 0.95, rows[key]


def test_onnx_session_options_are_read_from_the_manifest(tiny_model,
                                                          tmp_path):
    """The manifest records how ONNX Runtime opens each .onnx file, and
    load_artifact opens it so: an edited entry changes the session, a bad
    one is refused naming the file."""
    from keras_inception.deploy.artifacts import (ONNX_SESSION_OPTIONS,
                                                  default_threads,
                                                  load_artifact)
    result = export.export(tiny_model, tmp_path, "onnx",
                           class_names=["a", "b", "c"], parity_images=2)
    entry = result.manifest["artifacts"]["onnx"]
    assert entry["session_options"] == ONNX_SESSION_OPTIONS
    assert load_artifact(result.artifact("onnx")).num_threads == \
        default_threads()
    manifest_path = os.path.join(result.path, "manifest.json")
    manifest = json.load(open(manifest_path))
    manifest["artifacts"]["onnx"]["session_options"][
        "intra_op_num_threads"] = 1
    json.dump(manifest, open(manifest_path, "w"))
    one = load_artifact(result.artifact("onnx"))
    assert one.num_threads == 1
    assert one._session.get_session_options().intra_op_num_threads == 1
    manifest["artifacts"]["onnx"]["session_options"]["execution_mode"] = \
        "ORT_FASTEST"
    json.dump(manifest, open(manifest_path, "w"))
    with pytest.raises(ValueError, match="model.onnx"):
        load_artifact(result.artifact("onnx"))
