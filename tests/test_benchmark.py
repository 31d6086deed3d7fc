"""`keras-inception benchmark`: what it measures and writes, never how fast.

The runs use tiny settings (75 px, width 0.25, one round); they check the
rows, files and chart a run produces and how the figures are read, not the
figures themselves, which belong to benchmarks/ (the README's table).
"""

import csv
import datetime
import json

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
])
def test_bad_arguments_name_the_argument_before_any_work(kwargs, error, says):
    with pytest.raises(error, match=says):
        benchmark.run_benchmark(**{**TINY, **kwargs})
