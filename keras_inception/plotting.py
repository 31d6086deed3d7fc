"""Architecture diagrams (PNG) through Graphviz."""

from __future__ import annotations

import os
import shutil
import tempfile

GRAPHVIZ_HELP = ("drawing the architecture needs Graphviz's `dot` program "
                 "and the pydot package: install Graphviz with "
                 "`sudo apt-get install graphviz` (Debian/Ubuntu), "
                 "`brew install graphviz` (macOS) or `conda install "
                 "graphviz`, and pydot with `pip install pydot`.")


def graphviz_available():
    """Whether pydot imports and Graphviz's ``dot`` is on PATH."""
    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


def plot_architecture(model, path, *, dpi=72, show_shapes=True):
    """Draw ``model`` to the PNG ``path`` (written atomically).

    Raises:
        RuntimeError: Graphviz or pydot is missing (the message says how to
            install them).
        ValueError: ``path`` does not end in ``.png``.
    """
    import keras

    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise ValueError(f"`path` must end in .png; received {path!r}.")
    if not graphviz_available():
        raise RuntimeError(GRAPHVIZ_HELP)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=directory)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would outlive the rename
    try:
        keras.utils.plot_model(model, to_file=tmp, show_shapes=show_shapes,
                               show_layer_names=True, dpi=dpi)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
