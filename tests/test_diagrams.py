"""Pictures of every generation (``keras-inception diagrams``): the block
diagrams read their stages from the built models, so their block counts
are the papers' and the builders'; the PNGs in ``docs/`` are real images.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import keras_inception
from keras_inception.models import diagrams
from tests.generations import GENERATIONS, NAMES
from tests.helpers import CHILD_ENV, ROOT, SMALL, run_cli

# Runs of repeated blocks between the reductions, as the papers' tables
# give them (GoogLeNet Table 1: 3a-b, 4a-e, 5a-b; BN-Inception Figure 5:
# 3a-b, 4a-d, 5a-b around the stride-2 3c and 4e; Rethinking Table 1:
# 3, 5 and 2 modules; Inception-v3 as keras.applications' mixed0-10;
# Inception-v4 Figure 9: 4, 7, 3; Inception-ResNet-v1 Figure 15: 5, 10, 5
# and a last linear block, as TF-slim's release; Inception-ResNet-v2 as
# released by keras.applications and TF-slim: mixed_5b, 10, 20, 9 and the
# linear block8_10), and the reductions between them.
PAPER_RUNS = {
    "inception_v1": ([2, 5, 2], ["maxpool_4a_3x3", "maxpool_5a_3x3"]),
    "bn_inception": ([2, 4, 2], ["inception_3c", "inception_4e"]),
    "inception_v2": ([3, 5, 2], ["mixed_6a", "mixed_7a"]),
    "inception_v3": ([3, 4, 2], ["mixed3", "mixed8"]),
    "inception_v4": ([4, 7, 3], ["reduction_a", "reduction_b"]),
    "inception_resnet_v1": ([5, 10, 5, 1], ["mixed_6a", "mixed_7a"]),
    "inception_resnet_v2": ([1, 10, 20, 9, 1], ["mixed_6a", "mixed_7a"]),
}


def _stages(name, **kwargs):
    info = keras_inception.get_model_info(name)
    size = max(info.min_size, 75)
    model = keras_inception.get_model(
        name, input_shape=(size, size, 3), **SMALL,
        **({"aux_logits": True} if info.aux else {}), **kwargs)
    return diagrams.stages(model)


@pytest.mark.parametrize("name", NAMES)
def test_stages_have_the_papers_block_counts(name):
    found = _stages(name)
    runs = [s.count for s in found if s.kind == "blocks"]
    reductions = [s.label for s in found if s.kind == "reduction"]
    assert (runs, reductions) == PAPER_RUNS[name]
    assert [s.kind for s in found][:2] == ["input", "stem"]
    assert found[-1].kind == "head" or found[-1].kind == "aux"
    aux = {s.label: s.after for s in found if s.kind == "aux"}
    assert sorted(aux) == sorted(k for k in GENERATIONS[name].aux_outputs
                                 if k != "predictions")
    generation = GENERATIONS[name]
    if generation.block_stages:
        # The builder's own counts: the runs at the repeated stages.
        counts = dict(zip(generation.block_prefixes,
                          generation.block_counts))
        for prefix, count in counts.items():
            assert any(s.count == count and s.members[0].startswith(prefix)
                       for s in found if s.kind == "blocks"), (prefix, count)


# Convolutions of each stem: GoogLeNet's 7x7, 1x1, 3x3; Inception-v3's
# five (Table 1's rows before the 35x35 modules); Inception-v4's Figure 3
# (3 + mixed_3a's 1 + mixed_4a's 2 + 4 + mixed_5a's 1).
STEM_CONVOLUTIONS = {"inception_v1": 3, "inception_v3": 5, "inception_v4": 11}


@pytest.mark.parametrize("name", sorted(STEM_CONVOLUTIONS))
def test_the_stem_counts_its_own_convolutions(name):
    stem, = [s for s in _stages(name) if s.kind == "stem"]
    assert stem.convolutions == STEM_CONVOLUTIONS[name]


def test_other_block_counts_are_drawn_as_built():
    found = _stages("inception_v4", block_counts=(2, 3, 1))
    assert [s.count for s in found if s.kind == "blocks"] == [2, 3, 1]


def test_aux_heads_branch_where_the_papers_put_them():
    after = {s.label: s.after for s in _stages("inception_v1")
             if s.kind == "aux"}
    assert after == {"aux_1": "inception_4a", "aux_2": "inception_4d"}
    after = {s.label: s.after for s in _stages("inception_v3")
             if s.kind == "aux"}
    assert after == {"aux": "mixed7"}


def _check_png(path, size):
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == size, path
        pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10, path


def test_the_command_writes_valid_pictures(tmp_path, capsys):
    code, out, err = run_cli(capsys, "diagrams", "inception_v3",
                             "--output", tmp_path)
    assert code == 0, err
    assert "2 PNG files" in out
    side = tuple(int(v * diagrams.DPI) for v in diagrams.FIGSIZE)
    _check_png(tmp_path / "inception_v3.png", side)
    _check_png(tmp_path / "model_table.png", (1100, 480))


def test_the_shipped_pictures_are_valid_and_shown():
    """docs/ holds one diagram per generation and the chart."""
    docs = os.path.join(ROOT, "docs")
    side = tuple(int(v * diagrams.DPI) for v in diagrams.FIGSIZE)
    for name in NAMES:
        _check_png(os.path.join(docs, f"{name}.png"), side)
    _check_png(os.path.join(docs, "model_table.png"), (1100, 480))
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert "keras-inception diagrams" in readme
    for name in NAMES:
        assert f"docs/{name}.png" in readme


def test_an_unknown_name_is_refused(capsys):
    code, _, err = run_cli(capsys, "diagrams", "inception_v9")
    assert code == 2
    assert "inception_v9" in err


@pytest.mark.parametrize("setup, backend", [
    ("", "agg"),                                     # a script: file-only
    ("os.environ['MPLBACKEND'] = 'svg'", "svg"),     # Jupyter sets its own
    ("import matplotlib; matplotlib.use('pdf'); "
     "import matplotlib.pyplot", "pdf"),             # the caller chose first
])
def test_drawing_keeps_a_backend_chosen_before(setup, backend, tmp_path):
    """Drawing a picture must not switch a notebook's plots off: it takes
    Agg only where nothing chose a backend."""
    code = (f"import os\nos.environ.pop('MPLBACKEND', None)\n{setup}\n"
            "import keras_inception\n"
            "from keras_inception.models import diagrams\n"
            "import matplotlib\n"
            "m = keras_inception.InceptionV1(weights=None, classes=10, "
            "input_shape=(64, 64, 3), width_multiplier=0.25)\n"
            f"diagrams.draw_stages(m, {str(tmp_path / 'v1.png')!r})\n"
            "print(matplotlib.get_backend().lower())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=CHILD_ENV, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == backend
    assert Image.open(tmp_path / "v1.png").size == (640, 960)
