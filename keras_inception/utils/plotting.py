"""Pictures: architecture diagrams (Graphviz) and training curves
(matplotlib), written as PNG files atomically."""

from __future__ import annotations

import csv
import os
import shutil
import sys

from keras_inception.utils.atomic import atomic_path

GRAPHVIZ_HELP = ("drawing the architecture needs Graphviz's `dot` program "
                 "and the pydot package: install Graphviz with "
                 "`sudo apt-get install graphviz` (Debian/Ubuntu), "
                 "`brew install graphviz` (macOS) or `conda install "
                 "graphviz`, and pydot with `pip install pydot`.")


def pyplot():
    """matplotlib's ``pyplot`` (imported on first use: the package does not
    need matplotlib to build models), on the file-only Agg backend unless
    a backend was chosen before: ``MPLBACKEND`` set (Jupyter's kernel sets
    its inline one) or ``pyplot`` already imported. Switching then would
    stop a notebook's own plots from showing."""
    import matplotlib
    if not os.environ.get("MPLBACKEND") and \
            "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    return plt


def save_png(fig, path, *, dpi=100, layout=True):
    """Lays ``fig`` out (unless ``layout`` is false: axes placed by hand),
    writes it to the PNG ``path`` under a temporary name renamed into
    place, closes it and returns ``path``."""
    if layout:
        fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi)
    pyplot().close(fig)
    return path


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
    from keras_inception.utils.faults import writing

    with writing(os.path.dirname(os.path.abspath(path)),
                 f"the diagram {os.path.basename(path)}"), \
            atomic_path(path, suffix=".png") as tmp:
        keras.utils.plot_model(model, to_file=tmp, show_shapes=show_shapes,
                               show_layer_names=True, dpi=dpi)
    return path


def read_history(csv_path):
    """Reads a ``keras.callbacks.CSVLogger`` file into ``{column: [floats]}``
    (``epoch`` included); unparsable cells become NaN."""
    columns = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    number = float("nan")
                columns.setdefault(key, []).append(number)
    return columns


def _curve_panels(columns):
    """Groups logged series into (title, [(label, key)]) panels: losses of
    every head, then accuracies, train solid beside validation dashed."""
    keys = [k for k in columns if k != "epoch" and not k.startswith("val_")
            and k != "learning_rate"]
    losses = [k for k in keys if k.endswith("loss")]
    accuracies = [k for k in keys if not k.endswith("loss")]
    panels = []
    if losses:
        panels.append(("loss (main and auxiliary heads)", losses))
    if accuracies:
        panels.append(("accuracy", accuracies))
    return panels


def plot_training_curves(csv_path, path, *, title=None, dpi=100):
    """Draws the curves logged in ``csv_path`` (a ``CSVLogger`` file) to the
    PNG ``path``: one panel of losses (total, main, each auxiliary head),
    one of accuracies (top-1, top-5), training solid and validation dashed.

    Returns:
        ``path``.

    Raises:
        ValueError: ``path`` does not end in ``.png`` or the log holds no
            epoch.
    """
    plt = pyplot()
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise ValueError(f"`path` must end in .png; received {path!r}.")
    columns = read_history(csv_path)
    epochs = [e + 1 for e in columns.get("epoch", [])]
    panels = _curve_panels(columns)
    if not epochs or not panels:
        raise ValueError(f"{csv_path} holds no logged epoch to plot.")
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2),
                             squeeze=False)
    for ax, (panel_title, keys) in zip(axes[0], panels):
        for i, key in enumerate(keys):
            colour = f"C{i}"
            ax.plot(epochs, columns[key], color=colour, marker=".",
                    label=f"train {key}")
            if f"val_{key}" in columns:
                ax.plot(epochs, columns[f"val_{key}"], color=colour,
                        linestyle="--", marker=".", label=f"val {key}")
        ax.set_title(panel_title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return save_png(fig, path, dpi=dpi)
