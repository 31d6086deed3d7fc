"""`keras-inception benchmark`: what it measures and writes, never how fast.

The runs use tiny settings (75 px, width 0.25, one round); they check the
rows, files and chart a run produces and how the figures are read, not the
figures themselves, which belong to benchmarks/ (the README's table).
"""

import csv
import datetime
import json
import os
import sys

import numpy as np
import pytest

from keras_inception import benchmark
from keras_inception.benchmark.report import ratios_of
from keras_inception.benchmark.timing import time_side_by_side
from tests.helpers import run_cli

TINY = dict(image_size=75, width_multiplier=0.25, batch_size=2, repeats=1,
            round_seconds=0.01, ceiling=(8, 16), progress="none")


def _is_png(path):
    from PIL import Image

    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
        return image.size


def test_a_tiny_run_writes_its_table_csv_json_and_chart(capsys, tiny_dir,
                                                        tmp_path):
    """One generation with auxiliary heads, every measure, one round: the
    command prints the table and writes the CSV (every column, the machine
    and date on each row), the JSON and a valid PNG."""
    prefix = tmp_path / "out" / "bench"
    code, out, err = run_cli(
        capsys, "benchmark", "--models", "inception_v1", "--image-size", 75,
        "--width-multiplier", 0.25, "--batch-size", 2, "--repeats", 1,
        "--round-seconds", 0.01, "--ceiling", "8,16", "--dataset",
        "inception_shapes/tiny", "--data-dir", tiny_dir, "--output", prefix,
        "--plot", "--progress", "none")
    assert code == 0, err
    assert "| inception_v1 | keras_inception +aux | training |" in out
    with open(f"{prefix}.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == benchmark.COLUMNS
        rows = list(reader)
    found = {(r["implementation"], r["measure"]) for r in rows}
    assert found == {
        ("tensorflow", "conv_ceiling"), ("keras_inception", "latency"),
        ("keras_inception", "inference"), ("keras_inception", "training"),
        ("keras_inception BN-folded", "latency"),
        ("keras_inception BN-folded", "inference"),
        ("keras_inception +aux", "training"), ("embedded", "pipeline"),
        ("jpeg_folder", "pipeline")}
    for r in rows:
        assert r["cores"] and r["cpu"] and r["tensorflow"]
        assert float(r["min"]) <= float(r["median"]) <= float(r["max"])
        assert float(r["peak_rss_mib"]) > 0
    models = [r for r in rows if r["model"] == "inception_v1"]
    assert all(float(r["gflops"]) > 0 and float(r["ceiling_fraction"]) > 0
               for r in models)
    aux = next(r for r in rows if r["implementation"].endswith("+aux"))
    plain = next(r for r in models if r["implementation"] ==
                 "keras_inception" and r["measure"] == "training")
    assert int(aux["params"]) > int(plain["params"])   # the heads' weights
    report = json.loads((tmp_path / "out" / "bench.json").read_text())
    assert report["machine"]["tensorflow"] == rows[0]["tensorflow"]
    assert datetime.datetime.fromisoformat(report["date"]).tzinfo
    assert {q["ratio"].split(" (")[0] for q in report["ratios"]
            if q["ratio"].startswith("input pipeline")} == {"input pipeline"}
    width, height = _is_png(tmp_path / "out" / "bench.png")
    assert width > 600 and height > 400


def test_the_reference_runs_beside_ours(tiny_dir):
    """Inception-v3 at width 1 gets keras.applications' InceptionV3 in the
    same rounds, and the ratios compare the two."""
    settings = {**TINY, "width_multiplier": 1.0, "measures": "inference"}
    report = benchmark.run_benchmark("inception_v3", **settings)
    impls = {(r["implementation"], r["measure"]) for r in report.rows}
    assert ("keras.applications", "latency") in impls
    assert ("keras.applications", "inference") in impls
    ours, theirs = (next(r for r in report.rows if r["measure"] == "latency"
                         and r["implementation"] == impl)
                    for impl in ("keras_inception", "keras.applications"))
    assert ours["params"] == theirs["params"] == 23_851_784
    ratio = next(q for q in report.ratios
                 if q["ratio"].startswith("inception_v3 inference batch 1"))
    assert ratio["value"] == pytest.approx(theirs["median"] / ours["median"])


def _row(model, impl, measure, median, unit="images/s", **extra):
    return dict(model=model, implementation=impl, measure=measure, batch=16,
                image_size=299, unit=unit, median=median, min=median,
                max=median, **extra)


def test_ratios_are_read_from_the_rows_of_one_run():
    """Latency is inverted (less is faster), throughput is not; the pipeline
    is set against the first model's training step with its aux heads;
    GFLOP/s are 2 x MACs per image x images/s over the ceiling."""
    rows = [_row("-", "tensorflow", "conv_ceiling", 100.0, "GFLOP/s"),
            _row("m", "keras_inception", "latency", 20.0, "ms",
                 gflop_per_image=1.0),
            _row("m", "keras.applications", "latency", 30.0, "ms",
                 gflop_per_image=1.0),
            _row("m", "keras_inception BN-folded", "latency", 15.0, "ms",
                 gflop_per_image=1.0),
            _row("m", "keras_inception", "training", 10.0,
                 gflop_per_image=3.0),
            _row("m", "keras_inception +aux", "training", 8.0,
                 gflop_per_image=3.3),
            _row("m", "keras.applications", "training", 9.0,
                 gflop_per_image=3.0),
            _row("-", "embedded", "pipeline", 400.0)]
    ratios = {q["ratio"]: q["value"] for q in ratios_of(rows)}
    assert ratios["m inference batch 1: ours / keras.applications"] == 1.5
    assert ratios["m inference batch 1, ours with BN folded: ours / "
                  "keras.applications"] == 2.0
    assert ratios["m training step batch 16: ours / keras.applications"] == \
        pytest.approx(10 / 9)
    assert ratios["m training step batch 16, ours with aux heads vs theirs "
                  "without: ours / keras.applications"] == pytest.approx(8 / 9)
    assert ratios["input pipeline (embedded, 299 px) / m training step "
                  "(keras_inception +aux)"] == 50.0
    assert ratios["m training with aux heads: achieved GFLOP/s / convolution "
                  "ceiling"] == pytest.approx(3.3 * 8 / 100)
    assert rows[1]["gflops"] == pytest.approx(1.0 * 1000 / 20)


def test_rounds_alternate_and_rotate():
    """Every round runs each contender once, in a turn rotated by one each
    round; a short call is repeated to fill the round."""
    calls = []
    timings = time_side_by_side(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        repeats=3, warmup=2, round_seconds=1e-9)
    assert calls == ["a", "a", "b", "b"] + ["a", "b", "b", "a", "a", "b"]
    assert [len(t.seconds) for t in timings.values()] == [3, 3]
    assert all(t.calls_per_round == 1 for t in timings.values())


@pytest.mark.parametrize("kwargs, error, says", [
    ({"models": "no_such_net"}, ValueError, "`models`"),
    ({"models": []}, TypeError, "`models`"),
    ({"image_size": 40, "models": "inception_v3"}, ValueError, "75"),
    ({"width_multiplier": 0}, ValueError, "`width_multiplier`"),
    ({"batch_size": 0}, ValueError, "`batch_size`"),
    ({"repeats": 1.5}, TypeError, "`repeats`"),
    ({"round_seconds": -1}, ValueError, "`round_seconds`"),
    ({"measures": "inference,speed"}, ValueError, "`measures`"),
    ({"ceiling": (8,)}, TypeError, "`ceiling`"),
    ({"ceiling": (8, 0)}, ValueError, "`ceiling`"),
    ({"dataset": "/no/such/folder"}, ValueError, "`dataset`"),
    ({"images": "/no/such/folder"}, ValueError, "`images`"),
    ({"progress": "loud"}, ValueError, "`progress`"),
    ({"peers": "yes"}, TypeError, "`peers`"),
    ({"peers": True, "width_multiplier": 0.5}, ValueError, "width 1 only"),
])
def test_bad_arguments_name_the_argument_before_any_work(kwargs, error, says):
    with pytest.raises(error, match=says):
        benchmark.run_benchmark(**{**TINY, **kwargs})


# --------------------------------------------------------------------------
# --runtimes: every export runtime beside the Keras model
# --------------------------------------------------------------------------
def test_runtimes_write_every_runtime_with_its_size_and_agreement(
        capsys, tiny_dir, tmp_path):
    """The trained GoogLeNet of tests/data/trained through `benchmark
    --runtimes`, one round: a row per runtime and batch, each artifact's
    size as on disk, top-1 agreement and accuracy on the held-out split
    (Keras's accuracy as computed here, independently), the threads
    LiteRT and ONNX Runtime were given, the table, JSON and chart."""
    import keras_inception
    from keras_inception.benchmark.runtimes import KEYS, RUNTIMES
    from keras_inception.data import pipeline
    from keras_inception.deploy.artifacts import (default_threads,
                                                  load_artifact)
    from tests.trained_fixtures import WIDTH, trained_model

    model = trained_model("inception_v1")
    weights = str(tmp_path / "v1.weights.h5")
    model.save_weights(weights)
    prefix, kept = tmp_path / "out" / "rt", tmp_path / "export"
    code, out, err = run_cli(
        capsys, "benchmark", "--runtimes", "--models", "inception_v1",
        "--weights", weights, "--classes", 10, "--image-size", 75,
        "--width-multiplier", WIDTH, "--batch-size", 4, "--repeats", 1,
        "--round-seconds", 0.01, "--dataset", "inception_shapes/tiny",
        "--data-dir", tiny_dir, "--agreement-images", 50,
        "--calibration-images", 20, "--export-dir", kept, "--output",
        prefix, "--plot", "--progress", "none")
    assert code == 0, err
    with open(f"{prefix}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["runtime"], r["measure"]) for r in rows} == {
        (k, m) for k in KEYS for m in ("latency", "inference")}
    version = kept / "inception_v1" / "1"
    files = {"saved_model": None, "tflite": "model.tflite",
             "tflite_fp16": "model_fp16.tflite",
             "tflite_dynamic": "model_dynamic.tflite",
             "tflite_int8": "model_int8.tflite", "onnx": "model.onnx",
             "onnx_int8": "model_int8.onnx"}
    for r in rows:
        assert r["agreement_images"] == "50"
        key = "saved_model" if r["runtime"].startswith("saved_model") \
            else r["runtime"]
        if key in ("keras", "keras_folded"):
            assert r["bytes"] == "" and r["threads"] == ""
        elif files[key] is not None:
            assert int(r["bytes"]) == os.path.getsize(version / files[key])
            assert int(r["threads"]) == default_threads()
        if r["precision"] == "fp32":   # within 1e-4 of Keras: no flips
            assert float(r["top1_agreement"]) >= 0.98, r
    # Keras's accuracy on the 50 held-out images, computed here.
    data = pipeline.load("inception_shapes/tiny", image_size=75,
                         batch_size=50, preprocessing="none",
                         data_dir=tiny_dir, augment="none",
                         central_fraction=1.0, evaluation_only=True)
    images, labels = next(iter(data.validation))
    scores = model(keras_inception.preprocess_input(
        images.numpy(), mode="tf"), training=False)
    keras_top1 = float(np.mean(np.argmax(scores, -1) == labels.numpy()))
    keras_row = next(r for r in rows if r["runtime"] == "keras")
    assert float(keras_row["top1"]) == pytest.approx(keras_top1)
    assert keras_top1 > 0.5   # a trained model: agreement means something
    report = json.loads(prefix.with_suffix(".json").read_text())
    assert report["settings"]["trained"] is True
    assert report["settings"]["threads"] == default_threads()
    goals = {q["ratio"].split(" (")[0]: q["goal"] for q in report["ratios"]
             if q["goal"]}
    assert goals["fastest fp32 artifact"] == "<= 0.67"
    assert goals["fastest int8 artifact"] == "<= 0.40"
    table = prefix.with_suffix(".md").read_text()
    labels = [r[1] for r in RUNTIMES]
    assert [line.split(" | ")[0][2:] for line in table.splitlines()
            if line.startswith(tuple(f"| {x} | " for x in labels))] == labels
    _is_png(prefix.with_suffix(".png"))
    # Loaded with no thread count, LiteRT gets every core, not its one.
    assert load_artifact(version / "model.tflite").num_threads == \
        default_threads()


def test_runtime_ratios_pick_the_fastest_artifact_of_each_precision():
    from keras_inception.benchmark.runtimes import runtime_ratios

    def row(impl, precision, latency, size=1):
        return [dict(implementation=impl, measure="latency", batch=1,
                     median=latency, precision=precision, bytes=size,
                     top1_agreement=0.97, agreement_images=200),
                dict(implementation=impl, measure="inference", batch=16,
                     median=1000 / latency, precision=precision, bytes=size,
                     top1_agreement=0.97, agreement_images=200)]

    rows = (row("Keras", "fp32", 40.0, None) + row("TFLite fp32", "fp32", 30.0)
            + row("ONNX Runtime fp32", "fp32", 25.0)
            + row("TFLite int8", "int8", 15.0)
            + row("ONNX Runtime int8", "int8", 12.0))
    ratios = {q["ratio"]: q for q in runtime_ratios(rows)}
    best = ratios["fastest fp32 artifact (ONNX Runtime fp32): batch-1 "
                  "latency / Keras's"]
    assert best["value"] == pytest.approx(25 / 40) and best["goal"]
    assert ratios["fastest int8 artifact (ONNX Runtime int8): batch-1 "
                  "latency / Keras's"]["value"] == pytest.approx(12 / 40)
    assert ratios["TFLite fp32: batch-16 images/s / Keras's"]["value"] == \
        pytest.approx(40 / 30)
    assert ratios["TFLite int8: top-1 agreement with fp32 Keras on 200 "
                  "held-out images"]["goal"] == ">= 0.95"


@pytest.mark.parametrize("kwargs, error, says", [
    ({"model": "no_such_net"}, ValueError, "`model`"),
    ({"runtimes": "tflite,gpu"}, ValueError, "`runtimes`"),
    ({"runtimes": ""}, ValueError, "`runtimes`"),
    ({"checkpoint": "run", "weights": "w.weights.h5"}, ValueError,
     "not both"),
    ({"weights": "/no/such.weights.h5"}, ValueError, "`weights`"),
    ({"threads": 0}, ValueError, "`threads`"),
    ({"agreement_images": 0}, ValueError, "`agreement_images`"),
    ({"image_size": 8}, ValueError, "`image_size`"),
    ({"dataset": "/no/such/folder"}, ValueError, "`dataset`"),
    ({"progress": "loud"}, ValueError, "`progress`"),
])
def test_runtimes_refuse_bad_arguments_before_any_work(kwargs, error, says):
    with pytest.raises(error, match=says):
        benchmark.run_runtimes(**{"model": "inception_v1", "repeats": 1,
                                  **kwargs})


def test_peers_run_beside_ours_with_the_same_function(tmp_path):
    """`benchmark --peers` in a fresh interpreter (the command loads triton
    before TensorFlow, or the process crashes): torchvision's GoogLeNet in
    the same rounds, our model carrying its weights (logits checked before
    timing), its parameter count beside ours, the ratios read against it."""
    pytest.importorskip("torchvision")
    from tests.helpers import cli
    prefix = tmp_path / "peers"
    result = cli("benchmark", "--peers", "--models", "inception_v1",
                 "--image-size", 75, "--batch-size", 2, "--repeats", 1,
                 "--round-seconds", 0.01, "--ceiling", "8,16",
                 "--measures", "inference,training", "--output", prefix,
                 "--progress", "none")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(prefix.with_suffix(".json").read_text())
    rows = {(r["implementation"], r["measure"]): r for r in report["rows"]}
    peer = rows[("torchvision", "inference")]
    assert peer["logit_gap"] <= 1e-5
    # The same network; the counts differ by the BN bookkeeping only (ours
    # keeps moving statistics as weights and no gamma, torch's gamma as a
    # parameter and its statistics as buffers): one weight a BN channel.
    ours = rows[("keras_inception", "inference")]["params"]
    assert 0 < ours - peer["params"] < 0.005 * ours
    assert ("torchvision", "training") in rows
    assert ("torchvision", "latency") in rows
    ratio = next(q for q in report["ratios"] if q["ratio"] ==
                 "inception_v1 training step batch 2: ours / torchvision")
    assert ratio["goal"] == ">= 1.00"
    assert ratio["value"] == pytest.approx(
        rows[("keras_inception", "training")]["median"]
        / rows[("torchvision", "training")]["median"])
    assert report["settings"]["peers"] is True


def _gpu_script():
    import importlib.util
    from tests.helpers import ROOT
    spec = importlib.util.spec_from_file_location(
        "gpu_benchmark", os.path.join(ROOT, "benchmarks", "gpu.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_script_runs_on_the_cpu_in_its_test_mode(tmp_path):
    """benchmarks/gpu.sh --cpu-test: the GPU run's code (mixed_bfloat16,
    XLA, synthetic data) on one tiny model, its one table and its CSV."""
    import subprocess

    from tests.helpers import CHILD_ENV, ROOT
    out = tmp_path / "gpu.csv"
    result = subprocess.run(
        ["bash", os.path.join(ROOT, "benchmarks", "gpu.sh"), "--cpu-test",
         "--models", "inception_v3", "--output", str(out)],
        env=dict(CHILD_ENV, PYTHON=sys.executable), capture_output=True,
        text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| model | image | measure | batch | images/s | ms/step | " \
        "TFLOP/s | of bf16 peak |" in result.stdout
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["model"], r["measure"]) for r in rows] == [
        ("inception_v3", "training"), ("inception_v3", "inference")]
    assert all(float(r["images_per_s"]) > 0 and r["device"] == "CPU"
               for r in rows)


def test_gpu_peaks_are_read_from_the_device_name():
    gpu = _gpu_script()
    assert gpu.peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert gpu.peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert gpu.peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0
    assert gpu.peak_tflops("NVIDIA L40S") == 362.0
    assert gpu.peak_tflops("Tesla T4") is None     # no bf16 tensor cores
