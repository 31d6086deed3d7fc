#!/usr/bin/env python
"""Regenerate ``keras_inception/resources/model_table.json``: every
registry entry built at its default size, its parameters and GMACs counted
on the layer graph (:func:`keras_inception.models.table.measure_table`),
keyed on the fingerprint of the models' source.

Run it after changing anything in ``keras_inception/models/``;
``tests/test_model_table.py`` fails until the shipped table is current, and
measures it again to compare. Until then ``keras-inception models``
measures the changed models itself (once; cached per user).

Usage::

    .venv/bin/python tools/make_model_table.py
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from keras_inception.models import table  # noqa: E402
from keras_inception.utils import atomic  # noqa: E402


def main():
    measured = table.measure_table(
        progress=lambda name: print(f"measured {name}", file=sys.stderr))
    atomic.write_json(table.SHIPPED, measured)
    print(f"wrote {table.SHIPPED} ({len(measured['rows'])} models, "
          f"fingerprint {measured['fingerprint'][:16]})")


if __name__ == "__main__":
    main()
