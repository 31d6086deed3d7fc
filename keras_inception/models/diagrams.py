"""Pictures of the family: each generation's stages as a block diagram, and
the model table as a chart (``keras-inception diagrams``).

:func:`stages` reads the stages from a built model, not from a second
description of the papers: the stem (every layer until the network first
works at stride 8, where each generation's Inception blocks begin), then
the blocks -- a ``Concatenate`` that ends an Inception module, or a
``ScaledResidual`` that ends a residual one -- grouped into runs of the
same block at the same size, the reductions between them (a block or a
top-level pool that shrinks the map), the auxiliary heads and where they
branch off, and the classifier. So a diagram always shows what the
builder builds: its block counts are the builder's (tested against
``block_counts``).

Example:
    >>> import keras_inception
    >>> from keras_inception.models.diagrams import stages
    >>> model = keras_inception.InceptionV4(weights=None,
    ...                                     width_multiplier=0.25)
    >>> [(s.label, s.count) for s in stages(model) if s.kind == "blocks"]
    [('inception_a', 4), ('inception_b', 7), ('inception_c', 3)]
"""

from __future__ import annotations

import dataclasses
import os
import re

# Figure size of every diagram (inches) and its resolution: one size for
# all, so that the README shows them alike.
FIGSIZE = (6.4, 9.6)
DPI = 100
COLOURS = {"input": "#e8e8e8", "stem": "#cfe2f3", "blocks": "#d9ead3",
           "reduction": "#fce5cd", "head": "#ead1dc", "aux": "#fff2cc"}


@dataclasses.dataclass(frozen=True)
class Stage:
    """One box of a diagram.

    Attributes:
        kind: ``input``, ``stem``, ``blocks``, ``reduction``, ``aux`` or
            ``head``.
        label: the block family (``block35``), the layer name of a single
            block or pool, ``stem``, an aux head's output name.
        count: blocks in a ``blocks`` stage (1 otherwise).
        shape: the stage's output shape without the batch axis.
        members: the layer names of its blocks (in order).
        after: for an ``aux`` stage, the block whose output it reads.
        convolutions: convolutions in the stage (the stem's; 0 elsewhere).
    """

    kind: str
    label: str
    count: int
    shape: tuple
    members: tuple = ()
    after: str = ""
    convolutions: int = 0

    @property
    def text(self):
        """The box's text: what the stage is and its output size."""
        size = " x ".join(str(d) for d in self.shape)
        if self.kind == "blocks" and self.label.startswith(self.members[0]):
            return f"{self.label}\n{size}"        # one block of its own
        if self.kind == "blocks":
            names = self.members[0] if self.count == 1 else \
                f"{self.members[0]} .. {self.members[-1]}"
            return f"{self.count} x {self.label} ({names})\n{size}"
        if self.kind == "stem":
            return f"stem: {self.convolutions} convolutions\n{size}"
        if self.kind == "reduction":
            return f"reduction {self.label}\n{size}"
        if self.kind == "aux":
            return f"auxiliary head {self.label}\n(from {self.after}) {size}"
        if self.kind == "head":
            return f"pool, dropout, classifier\n{size}"
        return f"input {size}"


def _family(name):
    """``block35_3`` -> ``block35``, ``inception_4c`` -> ``inception_4``,
    ``mixed7`` -> ``mixed``, ``inception_a_2`` -> ``inception_a``."""
    return re.sub(r"(_\d+|\d+|(?<=\d)[a-z])$", "", name) or name


def _shape(tensor):
    return tuple(int(d) for d in tensor.shape[1:])


def _block_end(layer):
    """The block a layer ends, and whether it is a linear residual block
    (no activation after the sum: the last block of Inception-ResNet)."""
    kind = type(layer).__name__
    name = layer.name
    if "branch" in name or name.startswith("aux"):
        return None
    if kind == "Concatenate" and not name.endswith("_mixed"):
        return name, False
    if kind == "ScaledResidual":
        if name.endswith("_residual"):
            return name[: -len("_residual")], False
        return name, True
    return None


def _inputs(layer):
    inputs = layer.input
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


def _producer(tensor):
    return tensor._keras_history[0].name


def _is_pool(layer):
    import keras
    return isinstance(layer, (keras.layers.MaxPooling2D,
                              keras.layers.AveragePooling2D)) and \
        "branch" not in layer.name and not layer.name.startswith("aux")


def stages(model):
    """The :class:`Stage` list of a model built by this package (any width;
    with ``aux_logits=True`` its aux heads are included)."""
    import keras

    from keras_inception.models import registry

    model = registry.unwrap(model)
    by_name = {layer.name: layer for layer in model.layers}
    ends, aux, convolutions = [], {}, []
    side = None             # the side of the last layer outside a branch
    for layer in model.layers[1:]:
        if layer.name.startswith("aux"):
            aux.setdefault(re.match(r"aux(_\d+)?", layer.name).group(0),
                           layer)
            continue
        end = _block_end(layer)
        shape = _shape(layer.output)
        if end is not None or (_is_pool(layer) and ends):
            # A block that shrinks the map before any other block is part
            # of the stem (Inception-v4's mixed_3a, 4a, 5a).
            if ends or side is None or shape[0] >= side:
                ends.append((end or (layer.name, False), end is None, layer))
        if not ends and isinstance(layer, keras.layers.Conv2D):
            convolutions.append(layer.name)
        if "branch" not in layer.name and len(shape) == 3:
            side = shape[0]

    # The stem ends where the first block begins (a pool only counts after
    # a block); its convolutions are those before, less that block's own.
    stem = _block_input(ends[0][2], by_name)
    first = ends[0][0][0] + "_"
    out = [Stage("input", "input", 1, _shape(model.inputs[0])),
           Stage("stem", "stem", 1, stem, convolutions=sum(
               not c.startswith(first) for c in convolutions))]
    previous = stem
    for (name, linear), is_pool, layer in ends:
        shape = _shape(layer.output)
        if is_pool or shape[0] < previous[0]:
            out.append(Stage("reduction", name, 1, shape, (name,)))
        else:
            label = f"{name} (linear)" if linear else _family(name)
            last = out[-1]
            if last.kind == "blocks" and last.label == label and \
                    last.shape[:2] == shape[:2]:
                out[-1] = dataclasses.replace(
                    last, count=last.count + 1, shape=shape,
                    members=last.members + (name,))
            else:
                out.append(Stage("blocks", label, 1, shape, (name,)))
        previous = shape
    for head, layer in aux.items():
        out.append(Stage("aux", head, 1, _shape(by_name[head].output),
                         after=_producer(_inputs(layer)[0])))
    main = [t for t in model.outputs if len(t.shape) == 2]
    if main:
        main = next((t for t in main if _producer(t) == "predictions"),
                    main[0])
        out.append(Stage("head", _producer(main), 1, _shape(main)))
    return out


def _block_input(layer, by_name):
    """The map entering the block that ``layer`` ends: the input of the
    first branch layer feeding it (walking back through the branches)."""
    tensor = _inputs(layer)[0]
    while True:
        source = by_name[_producer(tensor)]
        if "branch" not in source.name and not source.name.endswith(
                "_mixed") and source is not layer:
            return _shape(source.output)
        tensor = _inputs(source)[0]
        layer = source


def _box(ax, x, y, width, height, text, colour):
    from matplotlib.patches import FancyBboxPatch
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width,
                                height, boxstyle="round,pad=0.004,rounding_size=0.01",
                                facecolor=colour, edgecolor="#555555",
                                linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5)


def _arrow(ax, start, end):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="->", color="#555555", lw=0.8))


def draw_stages(model, path, *, title=None):
    """The block diagram of ``model`` (:func:`stages`) as the PNG ``path``
    (:data:`FIGSIZE` at :data:`DPI`), written atomically; returns it."""
    from keras_inception.utils.plotting import pyplot, save_png

    found = stages(model)
    main = [s for s in found if s.kind != "aux"]
    aux = [s for s in found if s.kind == "aux"]
    plt = pyplot()
    fig = plt.figure(figsize=FIGSIZE)
    ax = fig.add_axes((0, 0, 1, 0.94))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    step = 1 / (len(main) + 0.5)
    height = min(0.075, step * 0.7)
    x_main = 0.38 if aux else 0.5
    where = {}
    for i, stage in enumerate(main):
        y = 1 - step * (i + 0.75)
        _box(ax, x_main, y, 0.62, height, stage.text, COLOURS[stage.kind])
        for member in stage.members:
            where[member] = y
        if i:
            _arrow(ax, (x_main, y + step - height / 2),
                   (x_main, y + height / 2))
    # Aux heads beside the stage they branch from, spread over its height
    # when several branch from one stage (GoogLeNet's two from 4a and 4d).
    siblings = {}
    for stage in aux:
        siblings.setdefault(where.get(stage.after, 0.5), []).append(stage)
    for y, heads in siblings.items():
        for j, stage in enumerate(heads):
            spread = 0 if len(heads) == 1 else \
                step * 0.5 * (1 - 2 * j / (len(heads) - 1))
            _box(ax, 0.85, y + spread, 0.28, height, stage.text,
                 COLOURS["aux"])
            _arrow(ax, (x_main + 0.31, y), (0.85 - 0.14, y + spread))
    fig.suptitle(title or model.name, fontsize=10)
    return save_png(fig, path, dpi=DPI, layout=False)


def draw_model_table(rows, path):
    """The model table as a chart: parameters and GMACs per generation
    beside the top-1 the papers report (100 - their top-1 error), from
    :func:`keras_inception.models.table.table_rows`'s ``rows``; the PNG
    ``path``, written atomically."""
    from keras_inception.utils.plotting import pyplot, save_png

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    names = [r["model"] for r in rows]
    y = range(len(rows))
    left.barh([i - 0.2 for i in y], [r["params"] / 1e6 for r in rows],
              height=0.4, label="parameters (M)", color="#6fa8dc")
    left.barh([i + 0.2 for i in y], [r["gmacs"] for r in rows], height=0.4,
              label="GMACs at the default size", color="#f6b26b")
    left.set_yticks(list(y), names)
    left.invert_yaxis()
    left.legend(loc="lower right", fontsize=8)
    left.set_title("size and cost (measured)", fontsize=10)
    colours = plt.get_cmap("tab10")
    for i, r in enumerate(rows):
        if r["paper_top1_error"] is None:
            continue
        right.scatter(r["gmacs"], 100 - r["paper_top1_error"],
                      s=r["params"] / 2e5, color=colours(i % 10), alpha=0.75,
                      label=r["model"])
    right.legend(loc="lower right", fontsize=8, markerscale=0.5)
    right.set_xlabel("GMACs at the default input size (measured)")
    right.set_ylabel("ImageNet top-1 % (paper)")
    right.set_title("top-1 the papers report against cost "
                    "(area: parameters)", fontsize=10)
    right.grid(alpha=0.3)
    return save_png(fig, path, dpi=DPI)


def write_pictures(folder, names=None, progress=None):
    """Every generation's block diagram (``<folder>/<name>.png``, built at
    its default size and full width, aux heads on) and the model table
    chart (``<folder>/model_table.png``); ``progress(path)`` after each.
    Returns the paths written."""
    import keras

    from keras_inception.models import registry
    from keras_inception.models.table import table_rows
    from keras_inception.utils.faults import writing

    names = registry.list_models() if names is None else list(names)
    os.makedirs(folder, exist_ok=True)
    written = []
    with writing(folder, "the diagrams"):
        for name in names:
            info = registry.get_model_info(name)
            model = registry.get_model(name, **(
                {"aux_logits": True} if info.aux else {}))
            path = draw_stages(model, os.path.join(folder, f"{name}.png"),
                               title=f"{info.title}: "
                               f"{model.count_params() / 1e6:.1f} M "
                               "parameters" + (" with aux heads"
                                               if info.aux else ""))
            del model
            keras.backend.clear_session()
            written.append(path)
            if progress:
                progress(path)
        path = draw_model_table(table_rows(names),
                                os.path.join(folder, "model_table.png"))
        written.append(path)
        if progress:
            progress(path)
    return written
