"""A benchmark run's results: rows, ratios, the table, CSV, JSON and chart.

Each row is one contender in one measurement (``measure``: ``latency`` in
ms at batch 1; ``inference``, ``training`` and ``pipeline`` in images/s;
``conv_ceiling`` in GFLOP/s) with its median, min and max over the rounds.
:func:`ratios_of` reads the ratios the suite is judged by from the rows
of one run, so each compares figures measured side by side.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os

from keras_inception.utils import atomic

COLUMNS = ("date", "cpu", "cores", "tensorflow", "model", "implementation",
           "measure", "batch", "image_size", "width_multiplier", "unit",
           "median", "min", "max", "rounds", "calls_per_round",
           "peak_rss_mib", "params", "gflop_per_image", "gflops",
           "ceiling_fraction", "source", "train_images", "runtime",
           "precision", "bytes", "threads", "top1_agreement", "top1",
           "agreement_images", "logit_gap")
_OURS, _REF = "keras_inception", "keras.applications"
_AUX = f"{_OURS} +aux"
_FOLDED = f"{_OURS} BN-folded"


@dataclasses.dataclass(frozen=True)
class Report:
    """What :func:`~keras_inception.benchmark.run_benchmark` returns.

    Attributes:
        machine: CPU model, cores, memory, TensorFlow/Keras versions.
        date: when the run started (UTC, ISO 8601).
        settings: the run's arguments.
        rows: one dict per contender and measurement (:data:`COLUMNS`).
        ratios: ``{"ratio", "value", "goal"}`` dicts (:func:`ratios_of`).
    """

    machine: dict
    date: str
    settings: dict
    rows: list
    ratios: list

    def to_json(self):
        return dataclasses.asdict(self)


def make_row(model, implementation, measure, batch, image_size, timing, *,
         rate=None, unit="images/s", **extra):
    """A result row from a :class:`~keras_inception.benchmark.timing.Timing`;
    ``rate``: units per call (images for throughput, GFLOP for the
    ceiling), or ``None`` for a latency in ms; ``extra``: more columns."""
    if rate is None:
        median, low, high = (1000 * s for s in (
            timing.median, timing.low, timing.high))
        unit = "ms"
    else:
        median, low, high = (rate / s for s in (
            timing.median, timing.high, timing.low))
    return dict(model=model, implementation=implementation, measure=measure,
                batch=batch, image_size=image_size, unit=unit, median=median,
                min=low, max=high, rounds=len(timing.seconds),
                calls_per_round=timing.calls_per_round,
                peak_rss_mib=timing.peak_rss / 2 ** 20, **extra)


def _find(rows, model, implementation, measure):
    for row in rows:
        if (row["model"], row["implementation"], row["measure"]) == \
                (model, implementation, measure):
            return row
    return None


def annotate(rows):
    """Adds each model row's achieved GFLOP/s (``gflop_per_image`` x
    images/s) and its fraction of the run's convolution ceiling."""
    ceiling = next((r["median"] for r in rows
                    if r["measure"] == "conv_ceiling"), None)
    for row in rows:
        per_image = row.get("gflop_per_image")
        if per_image is None:
            continue
        rate = 1000 / row["median"] if row["unit"] == "ms" else row["median"]
        row["gflops"] = per_image * rate
        if ceiling:
            row["ceiling_fraction"] = row["gflops"] / ceiling
    return rows


def ratios_of(rows):
    """The suite's ratios, each from rows of the same run: ours over
    keras.applications (speed: higher is better), the input pipeline over
    the training step it feeds, and achieved GFLOP/s over the ceiling."""
    annotate(rows)
    ratios = []

    def add(text, value, goal=None):
        ratios.append({"ratio": text, "value": value, "goal": goal})

    models = list(dict.fromkeys(r["model"] for r in rows
                                if r.get("gflop_per_image") is not None))
    for m in models:
        pairs = (("latency", _OURS, "inference batch 1", None),
                 ("inference", _OURS, "inference batch {b}", None),
                 ("latency", _FOLDED, "inference batch 1, ours with BN "
                  "folded", ">= 1.00"),
                 ("inference", _FOLDED, "inference batch {b}, ours with BN "
                  "folded", ">= 1.00"),
                 ("training", _OURS, "training step batch {b}", None),
                 ("training", _AUX, "training step batch {b}, ours with aux "
                  "heads vs theirs without", ">= 0.95"))
        for measure, ours, text, goal in pairs + _peer_pairs(rows, m):
            other = goal[1] if isinstance(goal, tuple) else _REF
            goal = goal[0] if isinstance(goal, tuple) else goal
            mine, theirs = (_find(rows, m, impl, measure)
                            for impl in (ours, other))
            if mine is None or theirs is None:
                continue
            value = theirs["median"] / mine["median"] if measure == \
                "latency" else mine["median"] / theirs["median"]
            add(f"{m} {text.format(b=mine['batch'])}: ours / {other}",
                value, goal)
        for measure, impl, how in (
                ("inference", _OURS, ""), ("inference", _FOLDED, ", BN folded"),
                ("training", _OURS, ""), ("training", _AUX, " with aux heads")):
            row = _find(rows, m, impl, measure)
            if row is not None and row.get("ceiling_fraction") is not None:
                add(f"{m} {measure}{how}: achieved GFLOP/s / convolution "
                    "ceiling", row["ceiling_fraction"], ">= 0.70")
    step = _fed_step(rows)
    if step is not None:
        m = step["model"]
        for row in rows:
            if row["measure"] == "pipeline":
                add(f"input pipeline ({row['implementation']}, "
                    f"{row['image_size']} px) / {m} training step "
                    f"({step['implementation']})",
                    row["median"] / step["median"], ">= 5")
    return ratios


def _peer_pairs(rows, model):
    """The ratios against ``model``'s PyTorch peer, where the run has one
    (goal as ``(goal, peer)``)."""
    peer = next((r["implementation"] for r in rows if r["model"] == model
                 and r.get("logit_gap") is not None), None)
    if peer is None:
        return ()
    return (("latency", _OURS, "inference batch 1", (None, peer)),
            ("inference", _OURS, "inference batch {b}", (">= 1.00", peer)),
            ("latency", _FOLDED, "inference batch 1, ours with BN folded",
             (None, peer)),
            ("inference", _FOLDED, "inference batch {b}, ours with BN folded",
             (">= 1.00", peer)),
            ("training", _OURS, "training step batch {b}", (">= 1.00", peer)))


def _fed_step(rows):
    """The training step the input pipeline must feed: the first model's,
    with its auxiliary heads where it has them."""
    first = next((r["model"] for r in rows if r["measure"] == "training"),
                 None)
    if first is None:
        return None
    return _find(rows, first, _AUX, "training") or \
        _find(rows, first, _OURS, "training")


def _heading(report):
    mach = report.machine
    return (f"{mach['cpu']} ({mach['cores']} cores), TensorFlow "
            f"{mach['tensorflow']}; median of {report.settings['repeats']} "
            "alternating rounds (min-max)")


def format_report(report):
    """The run as Markdown: what and where, the rows, the ratios."""
    if "runtimes" in report.settings:
        return _format_runtimes(report)
    lines = [f"keras-inception benchmark, {report.date}, "
             f"{_heading(report)}.", "",
             "| model | implementation | measure | batch | median | min-max "
             "| unit | peak RSS (MiB) | GFLOP/s | of ceiling |",
             "|---|---|---|---:|---:|---:|---|---:|---:|---:|"]
    for r in report.rows:
        gflops = r.get("gflops")
        frac = r.get("ceiling_fraction")
        lines.append(
            f"| {r['model']} | {r['implementation']} | {r['measure']} | "
            f"{r['batch']} | {r['median']:.1f} | {r['min']:.1f}-"
            f"{r['max']:.1f} | {r['unit']} | {r['peak_rss_mib']:.0f} | "
            f"{'-' if gflops is None else f'{gflops:.1f}'} | "
            f"{'-' if frac is None else f'{100 * frac:.0f}%'} |")
    return "\n".join(lines + _ratio_lines(report)) + "\n"


def _ratio_lines(report):
    lines = []
    if report.ratios:
        lines += ["", "| ratio | value | goal |", "|---|---:|---|"]
        for q in report.ratios:
            lines.append(f"| {q['ratio']} | {q['value']:.2f} | "
                         f"{q['goal'] or '-'} |")
    return lines


def _runtime_pairs(rows):
    """``[(batch-1 row, batch-N row or None)]``, one per runtime."""
    latency = [r for r in rows if r["measure"] == "latency"]
    return [(r, next((t for t in rows if t["measure"] == "inference" and
                      t["implementation"] == r["implementation"]), None))
            for r in latency]


def _format_runtimes(report):
    """A runtimes run (:func:`~keras_inception.benchmark.run_runtimes`):
    one line per runtime, its speed beside the Keras model's."""
    s = report.settings
    pairs = _runtime_pairs(report.rows)
    base_1, base_n = pairs[0]
    batch = s["batch_size"]
    lines = [f"keras-inception benchmark --runtimes, {report.date}: "
             f"{s['model']} {s['image_size']} px, width "
             f"{s['width_multiplier']}, "
             f"{'trained' if s['trained'] else 'random'} weights; "
             f"{_heading(report)}; LiteRT and ONNX Runtime with "
             f"{s['threads']} threads; top-1 agreement with the fp32 Keras "
             f"model on {s['agreement_images']} held-out images.", "",
             f"| runtime | file (MB) | batch-1 latency (ms) | vs Keras | "
             f"batch-{batch} images/s | vs Keras | top-1 agreement | "
             "top-1 | peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for one, many in pairs:
        size = "-" if one.get("bytes") is None else \
            f"{one['bytes'] / 1e6:.1f}"
        top1 = "-" if one.get("top1") is None else f"{one['top1']:.3f}"
        rate = "-" if many is None else \
            f"{many['median']:.1f} ({many['min']:.1f}-{many['max']:.1f})"
        versus = "-" if many is None or base_n is None else \
            f"{many['median'] / base_n['median']:.2f}x"
        lines.append(
            f"| {one['implementation']} | {size} | {one['median']:.1f} "
            f"({one['min']:.1f}-{one['max']:.1f}) | "
            f"{one['median'] / base_1['median']:.2f}x | {rate} | {versus} | "
            f"{one['top1_agreement']:.3f} | {top1} | "
            f"{one['peak_rss_mib']:.0f} |")
    lines.append("")
    lines.append("Latency vs Keras: lower is faster; images/s vs Keras: "
                 "higher is faster.")
    return "\n".join(lines + _ratio_lines(report)) + "\n"


def to_csv(report):
    """The rows as CSV text, each with the machine and the date."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    common = {"date": report.date, "cpu": report.machine["cpu"],
              "cores": report.machine["cores"],
              "tensorflow": report.machine["tensorflow"]}
    for row in report.rows:
        writer.writerow({**common, **row})
    return out.getvalue()


def write_report(report, output):
    """Writes ``<output>.csv``, ``<output>.json`` and ``<output>.md``
    (each atomically); returns their paths."""
    output = os.fspath(output)
    paths = tuple(f"{output}{ext}" for ext in (".csv", ".json", ".md"))
    atomic.write_text(paths[0], to_csv(report))
    atomic.write_json(paths[1], report.to_json())
    atomic.write_text(paths[2], format_report(report))
    return paths


def plot_report(report, path, *, dpi=100):
    """A PNG chart of the run: inference and training images/s, ours beside
    keras.applications (bars: medians, whiskers: min-max), achieved GFLOP/s
    against the convolution ceiling, and the input pipeline against the
    training step. Returns ``path``."""
    from keras_inception.utils.plotting import pyplot, save_png

    if not os.fspath(path).lower().endswith(".png"):
        raise ValueError(f"`path` must name a .png file; received {path!r}.")
    plt = pyplot()
    if "runtimes" in report.settings:
        return _plot_runtimes(report, path, plt, save_png, dpi)
    rows = report.rows
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    panels = (
        (axes[0][0], [r for r in rows if r["measure"] == "inference"],
         "inference images/s"),
        (axes[0][1], [r for r in rows if r["measure"] == "training"],
         "training-step images/s"),
        (axes[1][1], [r for r in rows if r["measure"] == "pipeline"] +
         [r for r in [_fed_step(rows)] if r is not None],
         "input pipeline vs the training step it feeds\n(images/s, log "
         "scale)"))
    for ax, chosen, title in panels:
        _bars(ax, chosen, [r["median"] for r in chosen], title, errors=True)
    axes[1][1].set_xscale("log")
    if not any(r["measure"] == "pipeline" for r in rows):
        axes[1][1].clear()
        axes[1][1].set_axis_off()
        axes[1][1].text(0.5, 0.5, "input pipeline not measured in this run",
                        ha="center", va="center", fontsize=9)
    gflop_rows = [r for r in rows if r.get("gflops") is not None and
                  r["measure"] != "latency"]
    ax = axes[1][0]
    _bars(ax, gflop_rows, [r["gflops"] for r in gflop_rows],
          "achieved GFLOP/s", with_measure=True)
    ceiling = next((r for r in rows if r["measure"] == "conv_ceiling"), None)
    if ceiling is not None:
        ax.axvline(ceiling["median"], color="#c44e52", linestyle="--",
                   label=f"3x3 conv ceiling {ceiling['median']:.0f}")
        ax.legend(loc="lower right", fontsize=8)
    mach = report.machine
    fig.suptitle(f"keras-inception benchmark: {mach['cpu']}, "
                 f"{mach['cores']} cores, TensorFlow {mach['tensorflow']}, "
                 f"{report.date[:10]}", fontsize=10)
    save_png(fig, path, dpi=dpi)
    return path


def _bars(ax, rows, values, title, errors=False, with_measure=False):
    labels = [f"{r['model']} {r['implementation']}".lstrip("- ") +
              (f" {r['measure']}" if with_measure else "") for r in rows]
    colors = ["#c44e52" if r["implementation"] == _REF else
              "#dd8452" if r.get("logit_gap") is not None else
              "#8172b2" if r["measure"] == "pipeline" else "#4c72b0"
              for r in rows]
    xerr = None
    if errors and rows:
        xerr = [[v - r["min"] for v, r in zip(values, rows)],
                [r["max"] - v for v, r in zip(values, rows)]]
    ax.barh(labels, values, color=colors, xerr=xerr, capsize=3)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.tick_params(axis="y", labelsize=8)


def _plot_runtimes(report, path, plt, save_png, dpi):
    """Batch-1 latency and batch-N images/s of every runtime, the Keras
    model's as a dashed line, each bar labelled with its file size and
    top-1 agreement."""
    s, pairs = report.settings, _runtime_pairs(report.rows)
    names = [one["implementation"] for one, _ in pairs]
    colors = ["#c44e52" if one["precision"] == "fp32" and one.get("bytes")
              is None else "#4c72b0" if one["precision"] == "fp32" else
              "#55a868" for one, _ in pairs]
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(pairs) + 2))
    for ax, values, title in (
            (axes[0], [one["median"] for one, _ in pairs],
             "batch-1 latency (ms, lower is better)"),
            (axes[1], [0 if many is None else many["median"]
                       for _, many in pairs],
             f"batch-{s['batch_size']} images/s (higher is better)")):
        ax.barh(names, values, color=colors)
        ax.axvline(values[0], color="#c44e52", linestyle="--", linewidth=1)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="y", labelsize=8)
    for i, (one, _) in enumerate(pairs):
        size = "" if one.get("bytes") is None else \
            f"{one['bytes'] / 1e6:.1f} MB, "
        axes[0].annotate(f" {size}top-1 agr. {one['top1_agreement']:.2f}",
                         (one["median"], i), va="center", fontsize=7)
    axes[1].set_yticklabels([])
    from matplotlib.patches import Patch
    axes[1].legend(handles=[Patch(color=c, label=t) for c, t in (
        ("#c44e52", "Keras (TensorFlow, in process)"),
        ("#4c72b0", "float32 artifact"), ("#55a868", "quantized artifact"))],
        loc="lower right", fontsize=8)
    mach = report.machine
    fig.suptitle(f"Deployment runtimes: {s['model']} {s['image_size']} px "
                 f"({'trained' if s['trained'] else 'random'} weights), "
                 f"{mach['cpu']}, {mach['cores']} cores, {report.date[:10]}",
                 fontsize=10)
    save_png(fig, path, dpi=dpi)
    return path
