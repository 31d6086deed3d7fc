"""``keras-inception models`` answers from a measured table: the shipped
one is current and equal to the layer graph measured again, a change to the
models is measured once and cached, and a cached answer loads no
TensorFlow."""

import json
import subprocess
import sys

import pytest

from keras_inception.models import table
from tests.helpers import CHILD_ENV, ROOT


def _shipped():
    return json.loads(table.SHIPPED.read_text())


def test_shipped_table_is_for_these_sources():
    assert _shipped()["fingerprint"] == table.source_fingerprint(), (
        "keras_inception/models/ changed since the shipped model table was "
        "measured: run `.venv/bin/python tools/make_model_table.py` and "
        "commit keras_inception/resources/model_table.json")


@pytest.mark.slow
def test_shipped_table_equals_the_layer_graph_measured_again():
    """Every entry built again and counted: the same parameters (exactly)
    and GMACs, names and paper figures as the shipped file."""
    measured = table.measure_table()
    shipped = _shipped()
    for key in ("generations", "entries", "aliases"):
        assert measured[key] == shipped[key]
    assert list(measured["rows"]) == list(shipped["entries"])
    for name, row in measured["rows"].items():
        saved = shipped["rows"][name]
        assert saved["params"] == row["params"], name
        assert saved["gmacs"] == pytest.approx(row["gmacs"], rel=1e-9), name
        assert {k: v for k, v in saved.items() if k not in ("params",
                                                            "gmacs")} == \
            {k: v for k, v in row.items() if k not in ("params", "gmacs")}


def test_changed_models_are_measured_once_and_cached(tmp_path, monkeypatch):
    """Sources the shipped table was not measured on: the asked-for row is
    measured on a built model (equal to the shipped row, which the test
    above checks against the graph), written to the cache folder, and read
    from there the next time without building anything."""
    monkeypatch.setenv("KERAS_INCEPTION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(table, "source_fingerprint", lambda: "f" * 64)
    measured = []
    rows = table.table_rows(["InceptionV1"], progress=measured.append)
    assert measured == ["inception_v1"]
    shipped = _shipped()["rows"]["inception_v1"]
    assert rows[0]["model"] == "inception_v1"
    assert rows[0]["params"] == shipped["params"]
    assert rows[0]["gmacs"] == pytest.approx(shipped["gmacs"])
    cached = list((tmp_path / "cache").iterdir())
    assert [p.name for p in cached] == ["model_table-ffffffffffffffff.json"]

    def no_building(*args, **kwargs):
        raise AssertionError("measured again")
    monkeypatch.setattr(table, "model_rows", no_building)
    assert table.table_rows(["inception-v1"]) == rows
    with pytest.raises(AssertionError, match="measured again"):
        table.table_rows(["inception_v3"])     # not cached yet


def test_unknown_name_lists_the_generations():
    with pytest.raises(ValueError, match="resnet50.*inception_resnet_v2"):
        table.table_rows(["resnet50"])


def test_models_command_loads_no_tensorflow():
    """The whole table in a fresh interpreter, from the shipped file: every
    entry printed, neither TensorFlow nor Keras imported."""
    code = ("import sys\n"
            "from keras_inception.cli import main\n"
            "code = main(['models'])\n"
            "print('LOADED', sorted(m for m in ('tensorflow', 'keras') "
            "if m in sys.modules))\n"
            "sys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120, env=CHILD_ENV, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout
    for name in _shipped()["entries"]:
        assert f"\n{name} " in result.stdout
