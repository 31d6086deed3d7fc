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

from keras_inception.utils.lazy import lazy_namespace

# Imported on first use (keras_inception.utils.lazy): importing the
# package loads no TensorFlow.
_NAMESPACE = lazy_namespace(__name__, {
    "hypermodel": [
        "REJECTED", "RUN", "TRIAL_RECORD", "InceptionHyperModel",
        "resident_memory_mb"],
    "report": [
        "BEST", "HYPERPARAMETERS_JSON", "PARETO_PNG", "TRIALS_CSV",
        "SearchReport", "format_table", "pareto_front", "plot_pareto",
        "write_report"],
    "searching": [
        "PROJECT", "TUNERS", "launch_local", "load_best", "make_tuner",
        "search"],
    "space": ["HYPERPARAMETERS", "Range"],
})
__getattr__ = _NAMESPACE.attribute
__dir__ = _NAMESPACE.listing
__all__ = _NAMESPACE.names
