"""keras-tuner width and depth searches; imports the training, data, models
and utils subpackages.

- :mod:`.space`: the hyperparameters (:data:`HYPERPARAMETERS`), their
  bounds, :class:`Range`.
- :mod:`.hypermodel`: :class:`InceptionHyperModel`, a
  ``keras_tuner.HyperModel`` whose trials are training runs, with a budget.
- :mod:`.searching`: :func:`search` runs a whole search into one folder;
  ``make_tuner``, ``load_best``, ``launch_local`` (chief + workers).
- :mod:`.report`: what a search leaves: the trials table, the Pareto PNG,
  the best trial's run folder.
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
