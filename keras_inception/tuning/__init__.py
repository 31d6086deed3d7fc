"""keras-tuner width and depth searches.

:class:`InceptionHyperModel` (:mod:`.hypermodel`) searches the
hyperparameters of :mod:`.space`; :func:`search` (:mod:`.search`) runs a
whole search into one folder and :mod:`.report` writes what it found.
"""

from keras_inception.tuning.hypermodel import (REJECTED, RUN, TRIAL_RECORD,
                                               InceptionHyperModel,
                                               resident_memory_mb)
from keras_inception.tuning.report import (BEST, HYPERPARAMETERS_JSON,
                                           PARETO_PNG, TRIALS_CSV,
                                           SearchReport, format_table,
                                           pareto_front, plot_pareto,
                                           write_report)
from keras_inception.tuning.searching import (PROJECT, TUNERS, launch_local,
                                           load_best, make_tuner, search)
from keras_inception.tuning.space import HYPERPARAMETERS, Range

__all__ = [
    "BEST", "HYPERPARAMETERS", "HYPERPARAMETERS_JSON", "InceptionHyperModel",
    "PARETO_PNG", "PROJECT", "REJECTED", "RUN", "Range", "SearchReport",
    "TRIALS_CSV", "TRIAL_RECORD", "TUNERS", "format_table", "launch_local",
    "load_best", "make_tuner", "pareto_front", "plot_pareto",
    "resident_memory_mb", "search", "write_report",
]
