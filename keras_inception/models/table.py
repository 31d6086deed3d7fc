"""The model table: measured size and cost of every generation and variant
beside the papers' figures (``keras-inception models``); the rows are the
registry's entries, ``list_models(include_variants=True)``.

Every figure comes from the layer graph: :func:`model_rows` builds each
model at its default input size and counts its parameters and
multiply-adds. Building all nine takes about 30 s on two cores, so
:func:`table_rows` answers from a table measured once and kept as JSON,
keyed on a fingerprint of the source of :mod:`keras_inception.models`
(:func:`source_fingerprint`; every module but this one and the diagrams):

* the table shipped with the package (``resources/model_table.json``,
  written by ``python tools/make_model_table.py``; a test measures it
  again and compares), while the sources are the ones it was measured on;
* else the rows measured on this machine for these sources, cached in
  :func:`cache_dir` (a changed model is measured on first use, once).

A cached answer imports neither TensorFlow nor Keras.

Example:
    >>> rows = table_rows(["inception_v3"])
    >>> rows[0]["model"], round(rows[0]["params"] / 1e6, 1)
    ('inception_v3', 23.9)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pathlib

from keras_inception.models import names as model_names
from keras_inception.utils import atomic as _io

log = logging.getLogger(__name__)

COLUMNS = ("model", "params (M)", "published (M)", "GMACs",
           "published", "default", "min", "top-1 err % (paper)")
PACKAGE = pathlib.Path(__file__).resolve().parent
SHIPPED = PACKAGE.parent / "resources" / "model_table.json"


# Modules of keras_inception.models that no figure of the table depends
# on: this one, the pictures drawn from it, and the inference copy with
# BN folded (built from a model, never by the table).
UNMEASURED = ("table.py", "diagrams.py", "folding.py")


def source_fingerprint():
    """SHA-256 of the source of every module of
    :mod:`keras_inception.models` but :data:`UNMEASURED`: what the figures
    depend on."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name not in UNMEASURED:
            digest.update(path.name.encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir():
    """Where measured tables are kept: ``$KERAS_INCEPTION_CACHE``, else
    ``$XDG_CACHE_HOME/keras_inception``, else ``~/.cache/keras_inception``."""
    if os.environ.get("KERAS_INCEPTION_CACHE"):
        return os.environ["KERAS_INCEPTION_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "keras_inception")


def model_rows(names=None, progress=None):
    """One dict per registry entry (``names``, default every generation
    and variant): parameters and GMACs measured on a freshly built model at
    its default input size, with the paper's figures; ``progress(name)`` is
    called after each."""
    import keras

    from keras_inception.models import registry
    from keras_inception.models.macs import count_macs

    rows = []
    if names is None:
        names = registry.list_models(include_variants=True)
    for name in names:
        info = registry.get_model_info(name)
        model = registry.get_model(name)
        rows.append({
            "model": info.name,
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
            progress(info.name)
    return rows


def measure_table(names=None, progress=None):
    """A table as :data:`SHIPPED` holds it: the rows of ``names`` (default
    all) with the registry's names and aliases and the fingerprint."""
    from keras_inception.models import registry

    return {
        "fingerprint": source_fingerprint(),
        "keras": importlib.metadata.version("keras"),
        "generations": registry.list_models(),
        "entries": registry.list_models(include_variants=True),
        "aliases": registry.aliases(),
        "rows": {r["model"]: r for r in model_rows(names, progress)},
    }


def _cached_table(fingerprint):
    path = os.path.join(cache_dir(), f"model_table-{fingerprint[:16]}.json")
    for candidate in (SHIPPED, path):
        try:
            table = _io.read_json(candidate)
        except (OSError, ValueError):
            table = None
        if table is not None and table.get("fingerprint") == fingerprint:
            return table, candidate
    return None, path


def table_rows(names=None, progress=None):
    """The rows of ``names`` (default every entry, in registry order),
    from the cached table where it has them; the others are measured
    (``progress(name)`` after each) and cached.

    Raises:
        TypeError, ValueError: an unknown name (the registry's message).
    """
    fingerprint = source_fingerprint()
    table, path = _cached_table(fingerprint)
    if table is None:
        table = measure_table([], progress)   # names only, no model built
    wanted = [model_names.resolve(n, table["entries"], table["aliases"],
                                  table["generations"])
              for n in (names or table["entries"])]
    missing = [n for n in dict.fromkeys(wanted) if n not in table["rows"]]
    if missing:
        table["rows"].update(measure_table(missing, progress)["rows"])
        if pathlib.Path(path) != SHIPPED:
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                _io.write_json(path, table)
            except OSError as err:   # a read-only home: measure next time
                log.info("model table not cached in %s: %s", path, err)
    return [table["rows"][n] for n in wanted]


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
