"""What a search leaves: the table of trials (CSV), the Pareto front of
validation accuracy against GMACs (PNG) and the best trial as a run folder.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil

from keras_inception.training import run_folder
from keras_inception.tuning.hypermodel import REJECTED, RUN, TRIAL_RECORD
from keras_inception.utils import atomic as _io

TRIALS_CSV = "trials.csv"
PARETO_PNG = "pareto.png"
BEST = "best"
HYPERPARAMETERS_JSON = "hyperparameters.json"


@dataclasses.dataclass(frozen=True)
class SearchReport:
    """What :func:`~keras_inception.tuning.searching.search` wrote.

    Attributes:
        rows: one dict per trial (``trial``, ``status``, the
            hyperparameters, ``parameters``, ``gmacs``, ``val_top1``,
            ``seconds``, ``resident_mb``, ``reason`` for a trial that did
            not complete).
        best: the best completed row, or ``None``.
        pareto: trial ids on the accuracy-vs-GMACs Pareto front.
        csv, png, best_dir: the files (``best_dir`` is a run folder).
    """

    rows: list
    best: dict | None
    pareto: list
    csv: str
    png: str | None
    best_dir: str | None

    def table(self):
        """The trials as a text table."""
        return format_table(self.rows, self.pareto)


def trial_row(made, trial):
    """The report's row of one of tuner ``made``'s trials: its status
    (``REJECTED`` when over budget), hyperparameters, cost and result."""
    hm = made.hypermodel
    values = {k: v for k, v in trial.hyperparameters.values.items()
              if not k.startswith("tuner/")}
    record = _io.read_json(os.path.join(made.get_trial_dir(trial.trial_id),
                                        TRIAL_RECORD)) or {}
    status = trial.status
    reason = ""
    if status != "COMPLETED":
        message = (trial.message or "").strip().splitlines()
        reason = message[-1] if message else ""
        if REJECTED in reason:
            status = "REJECTED"
            reason = reason[reason.index(REJECTED):]
    if record:
        params, gmacs = record["parameters"], record["gmacs"]
    else:
        params, gmacs = hm.cost(values) if _buildable(hm, values) else \
            (None, None)
    return {"trial": trial.trial_id, "status": status, **values,
            "parameters": params, "gmacs": gmacs,
            "val_top1": record.get("val_top1"),
            "seconds": record.get("seconds"),
            "resident_mb": record.get("resident_mb"), "reason": reason}


def _buildable(hm, values):
    try:
        hm.train_config(values, "unset")
        return True
    except (TypeError, ValueError):
        return False


def pareto_front(rows):
    """Trial ids of the completed rows that no other beats on both
    validation accuracy (higher) and GMACs (lower)."""
    done = [r for r in rows if r["status"] == "COMPLETED"
            and r["val_top1"] is not None]
    front = []
    for r in done:
        beaten = any(
            o["val_top1"] >= r["val_top1"] and o["gmacs"] <= r["gmacs"]
            and (o["val_top1"] > r["val_top1"] or o["gmacs"] < r["gmacs"])
            for o in done)
        if not beaten:
            front.append(r["trial"])
    return front


_COLUMNS_AFTER = ("parameters", "gmacs", "val_top1", "seconds",
                  "resident_mb", "reason")


def _columns(rows):
    names = []
    for r in rows:
        names += [k for k in r if k not in names]
    head = ["trial", "status", "pareto"]
    return head + [k for k in names if k not in head + list(_COLUMNS_AFTER)] \
        + list(_COLUMNS_AFTER)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(rows, pareto=()):
    """The trials as an aligned text table."""
    cols = [c for c in _columns(rows) if c != "reason"]
    cells = [[_cell(r.get(c)) if c != "pareto" else
              ("*" if r["trial"] in pareto else "") for c in cols]
             for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells])
              for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths))
              for row in cells]
    for r in rows:
        if r["reason"]:
            lines.append(f"trial {r['trial']}: {r['reason']}")
    return "\n".join(lines)


def write_report(made, output):
    """Writes ``trials.csv``, ``pareto.png`` and ``best/`` for a tuner's
    trials; returns the :class:`SearchReport`."""
    rows = [trial_row(made, t) for _, t in sorted(made.oracle.trials.items())]
    front = pareto_front(rows)
    cols = _columns(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({**{k: ("" if v is None else v) for k, v in r.items()},
                         "pareto": int(r["trial"] in front)})
    csv_path = os.path.join(output, TRIALS_CSV)
    _io.write_text(csv_path, buffer.getvalue())
    done = [r for r in rows if r["trial"] in front or
            (r["status"] == "COMPLETED" and r["val_top1"] is not None)]
    png = plot_pareto(rows, front, os.path.join(output, PARETO_PNG),
                      title=f"{made.hypermodel.model_name}: validation "
                      "top-1 vs GMACs") if done else None
    best = max(done, key=lambda r: (r["val_top1"], -r["gmacs"]),
               default=None)
    best_dir = None
    if best is not None:
        best_dir = _save_best(made, best, os.path.join(output, BEST))
    return SearchReport(rows, best, front, csv_path, png, best_dir)


def _save_best(made, best, dest):
    """Copies the best trial's run folder (without its TensorBoard logs) to
    ``dest`` with its hyperparameters, replacing an older best whole."""
    source = os.path.join(made.get_trial_dir(best["trial"]), RUN)
    tmp = f"{dest}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp, ignore=shutil.ignore_patterns(
        run_folder.LOGS, run_folder.BACKUP, run_folder.WORKERS))
    values = {k: v for k, v in best.items()
              if k in made.hypermodel.names}
    _io.write_json(os.path.join(tmp, HYPERPARAMETERS_JSON), {
        "model": made.hypermodel.model_name, "trial": best["trial"],
        "hyperparameters": values, "parameters": best["parameters"],
        "gmacs": best["gmacs"], "val_top1": best["val_top1"]})
    old = f"{dest}.old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(dest):
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest



def plot_pareto(rows, front, path, *, title=None, dpi=100):
    """Validation top-1 against GMACs for the completed trials, the
    Pareto front joined and marked; written to the PNG ``path``."""
    from keras_inception.utils.plotting import pyplot, save_png
    plt = pyplot()
    done = [r for r in rows if r["status"] == "COMPLETED"
            and r["val_top1"] is not None]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.scatter([r["gmacs"] for r in done], [r["val_top1"] for r in done],
               color="C0", label="trial")
    edge = sorted((r for r in done if r["trial"] in front),
                  key=lambda r: r["gmacs"])
    ax.plot([r["gmacs"] for r in edge], [r["val_top1"] for r in edge],
            color="C3", marker="*", markersize=12, drawstyle="steps-post",
            label="Pareto front")
    for r in done:
        ax.annotate(r["trial"], (r["gmacs"], r["val_top1"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    rejected = [r for r in rows if r["status"] == "REJECTED"
                and r["gmacs"] is not None]
    if rejected:
        ax.scatter([r["gmacs"] for r in rejected], [0.0] * len(rejected),
                   marker="x", color="grey", label="rejected (budget)")
    ax.set_xlabel("GMACs (inference, batch 1)")
    ax.set_ylabel("best validation top-1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return save_png(fig, path, dpi=dpi)


