"""The model table: measured size and cost of every generation and variant
beside the papers' figures (``keras-inception models``); the rows are the
registry's entries, ``list_models(include_variants=True)``."""

from __future__ import annotations

import logging

import keras

from keras_inception.models import registry
from keras_inception.models.macs import count_macs

log = logging.getLogger(__name__)

COLUMNS = ("model", "params (M)", "published (M)", "GMACs",
           "published", "default", "min", "top-1 err % (paper)")


def model_rows(names=None, progress=None):
    """One dict per registry entry (``names``, default every generation
    and variant): parameters and GMACs measured on a freshly built model at
    its default input size, with the paper's figures."""
    rows = []
    for name in names or registry.list_models(include_variants=True):
        info = registry.get_model_info(name)
        model = registry.get_model(name)
        rows.append({
            "model": name,
            "params": model.count_params(),
            "gmacs": count_macs(model) / 1e9,
            "ref_params": info.ref_params,
            "ref_gmacs": info.ref_gmacs,
            "default_size": info.default_size,
            "min_size": info.min_size,
            "paper_top1_error": info.paper_top1_error,
        })
        del model
        keras.backend.clear_session()
        if progress:
            progress(name)
    return rows


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def format_table(rows):
    """Render ``model_rows`` as a fixed-width text table."""
    cells = [COLUMNS] + [(
        r["model"], _fmt(r["params"] / 1e6, ".2f"),
        _fmt(r["ref_params"] and r["ref_params"] / 1e6, ".2f"),
        _fmt(r["gmacs"], ".2f"), _fmt(r["ref_gmacs"], ".2f"),
        str(r["default_size"]), str(r["min_size"]),
        _fmt(r["paper_top1_error"], ".1f")) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
