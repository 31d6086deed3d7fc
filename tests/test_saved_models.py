"""``saved_models/``: the TF Serving base path that ``make demo`` fills.

The demo's deployment step (the Makefile's ``serve-demo`` target, run here
as ``make`` runs it) on the shipped trained GoogLeNet into a temporary base
path: a version folder TF Serving can load, its warm-up file and the
``models.config`` parsed with tensorflow-serving-api's protos; a second run
adds version 2 and leaves version 1 alone; and the prediction the fresh
``predict`` process made from an image's encoded bytes through the
``predict_images`` signature equals the Keras model's, computed here.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from keras_inception.deploy import serving
from tests.helpers import CHILD_ENV, ROOT

pytestmark = [pytest.mark.xdist_group("trained"),
              pytest.mark.skipif(shutil.which("make") is None,
                                 reason="make is not installed")]


def _data_dir(run):
    """Where the run's TFDS data is (its run_config.json says)."""
    with open(os.path.join(run, "run_config.json")) as f:
        return json.load(f)["config"]["data_dir"]


def _serve_demo(run, base):
    data_dir = _data_dir(run)
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "serve-demo",
         f"BIN={os.path.dirname(sys.executable)}", f"DEMO_RUN={run}",
         f"SERVING_BASE={base}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(CHILD_ENV, TFDS_DATA_DIR=data_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _tree_digest(folder):
    digest = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(folder)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, folder).encode())
            with open(path, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()


def test_serve_demo_adds_versions_and_predicts_like_keras(trained_run,
                                                          tmp_path):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    base = tmp_path / "saved_models"
    name = os.path.basename(trained_run)
    out = _serve_demo(trained_run, base)
    print(out)
    version_1 = base / name / "1"
    assert (version_1 / "saved_model.pb").is_file()
    assert (version_1 / "variables").is_dir()
    logs = serving.read_warmup(str(version_1))
    assert {(log.predict_log.request.model_spec.name,
             log.predict_log.request.model_spec.signature_name)
            for log in logs} == {(name, "serving_default"),
                                 (name, "predict_images")}
    config = text_format.Parse((base / "models.config").read_text(),
                               model_server_config_pb2.ModelServerConfig())
    assert [(c.name, c.base_path, c.model_platform)
            for c in config.model_config_list.config] == [
        (name, f"/models/{name}", "tensorflow")]

    # The fresh process's prediction, against Keras here on the same bytes.
    match = re.search(r"^  saved_model\s+(\S+)\s+([\d.]+)$", out, re.M)
    assert match, out
    from keras_inception.data.catalog import validation_samples
    from keras_inception.deploy.artifacts import load_artifact
    sample, = validation_samples("default", 1,
                                 data_dir=_data_dir(trained_run))
    keras_model = load_artifact(trained_run)
    probabilities = keras_model.predict_encoded([sample.data], ["sample"])
    (label, score), = keras_model.top_k(probabilities, 1)[0]
    assert match.group(1) == label
    assert abs(float(match.group(2)) - score) <= 1e-4
    assert f"(label: {sample.label})" in out
    assert "top-1 agrees on 1 of 1 image(s)" in out

    before = _tree_digest(version_1)
    out = _serve_demo(trained_run, base)
    assert sorted(os.listdir(base / name)) == ["1", "2"]
    assert _tree_digest(version_1) == before
    assert f"exported {name} version 2" in out
    config = text_format.Parse((base / "models.config").read_text(),
                               model_server_config_pb2.ModelServerConfig())
    assert len(config.model_config_list.config) == 1


def test_the_folder_is_committed_with_its_readme_only():
    folder = os.path.join(ROOT, "saved_models")
    listed = subprocess.run(["git", "ls-files", "saved_models"], cwd=ROOT,
                            capture_output=True, text=True).stdout.split()
    if not listed:
        pytest.skip("not a git checkout")
    assert sorted(listed) == ["saved_models/.gitignore",
                              "saved_models/README.md"]
    for generated in ("saved_models/demo/1/saved_model.pb",
                      "saved_models/models.config"):
        ignored = subprocess.run(["git", "check-ignore", "-q", generated],
                                 cwd=ROOT)
        assert ignored.returncode == 0, generated
    assert os.path.isfile(os.path.join(folder, "README.md"))
