"""``notebooks/``: each notebook runs top to bottom in a fresh Jupyter kernel
(nbclient) with its default settings, as a newcomer opens it: from an empty
folder, with TensorFlow's log level unset, no weights cached and no network
(a proxy that refuses every connection), on the embedded dataset generated
into a data folder of its own.

The committed files hold no outputs; the executed ones hold an image in
every cell tagged ``draws``, and no TensorFlow start-up line in any stream.
"""

import copy
import os
import subprocess

import nbclient
import nbformat
import nbstripout
import pytest

from keras_inception.utils.quiet import is_tensorflow_noise
from tests.helpers import CHILD_ENV, ROOT, make_tiny_dataset

FOLDER = os.path.join(ROOT, "notebooks")
NOTEBOOKS = ["01_quickstart", "02_train_with_auxiliary_heads",
             "03_width_search_with_keras_tuner", "04_export_and_serve",
             "05_backbone_features"]
# A cell's source may run this long; a whole notebook stays under 3 minutes
# on 2 cores (the README lists the measured times).
CELL_TIMEOUT = 600


def path_of(name):
    return os.path.join(FOLDER, f"{name}.ipynb")


def read(name):
    return nbformat.read(path_of(name), as_version=4)


def tagged(notebook, tag):
    return [cell for cell in notebook.cells
            if tag in cell.get("metadata", {}).get("tags", ())]


def kernel_env(home):
    """The kernel's environment: this checkout's package, a home, TFDS
    folder and Keras cache of the test's own, TensorFlow's log level as
    a newcomer has it (unset), and no way out to the network."""
    env = {k: v for k, v in CHILD_ENV.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_HOME")}
    dead = "http://127.0.0.1:9"     # the discard port: connection refused
    env.update(HOME=str(home), KERAS_HOME=str(home / ".keras"),
               http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead,
               HTTPS_PROXY=dead, no_proxy="", NO_PROXY="")
    return env


def execute(notebook, cwd, env):
    """Runs ``notebook`` in a new kernel started in ``cwd`` with ``env``;
    raises ``nbclient.exceptions.CellExecutionError`` at the first cell
    that raises."""
    client = nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}})
    client.execute(cwd=str(cwd), env=env)
    return notebook


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory):
    """A TFDS data folder with the embedded dataset (64 px) generated."""
    return make_tiny_dataset(tmp_path_factory.mktemp("shapes"), "64")


def test_the_notebooks_are_the_listed_ones():
    found = sorted(f[:-len(".ipynb")] for f in os.listdir(FOLDER)
                   if f.endswith(".ipynb"))
    assert found == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_without_outputs_and_with_one_settings_cell(name):
    notebook = read(name)
    nbformat.validate(notebook)
    listed = subprocess.run(["git", "ls-files", "--error-unmatch",
                             path_of(name)], cwd=ROOT, capture_output=True)
    assert listed.returncode == 0, f"{name}.ipynb is not committed"
    stripped = nbstripout.strip_output(copy.deepcopy(notebook),
                                       keep_output=False, keep_count=False,
                                       keep_id=False)
    assert notebook == stripped, (
        f"{name}: outputs or run metadata stored; run "
        f".venv/bin/nbstripout notebooks/{name}.ipynb")
    assert all(not cell.get("outputs") for cell in notebook.cells)
    settings = tagged(notebook, "parameters")
    assert len(settings) == 1 and settings[0].cell_type == "code"
    assert "FULL_SIZE = False" in settings[0].source
    assert tagged(notebook, "draws"), f"{name} draws nothing"


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_top_to_bottom_with_its_defaults(name, shapes_dir, tmp_path):
    env = dict(kernel_env(tmp_path), TFDS_DATA_DIR=str(shapes_dir))
    work = tmp_path / "work"
    work.mkdir()
    notebook = execute(read(name), work, env)
    for cell in tagged(notebook, "draws"):
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"{name}: a cell tagged 'draws' drew nothing:\n" \
            f"{cell.source}"
    # TensorFlow's C++ start-up lines, its Python logger's notes (at INFO
    # in Jupyter) and NumPy's warnings from inside the converters.
    noise = [line for cell in notebook.cells if cell.cell_type == "code"
             for o in cell.outputs if o.get("output_type") == "stream"
             for line in o.text.splitlines()
             if is_tensorflow_noise(line) or line.startswith(
                 ("INFO:tensorflow:", "WARNING:tensorflow:"))
             or "FutureWarning" in line]
    assert not noise, noise[:5]


def test_a_cell_that_raises_fails_the_run(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('a broken cell')"),
        nbformat.v4.new_code_cell("print('never reached')")])
    with pytest.raises(nbclient.exceptions.CellExecutionError,
                       match="a broken cell"):
        execute(notebook, tmp_path, kernel_env(tmp_path))
    assert notebook.cells[2].outputs == []
