"""Training: the papers' compile recipes and resumable training runs;
imports the data, distribute, models and utils subpackages.

- :mod:`~keras_inception.training.recipes`: the papers' recipes
  (``Recipe``, ``RECIPES``, ``default_recipe``).
- :mod:`~keras_inception.training.losses`: sparse cross-entropy, with label
  smoothing.
- :mod:`~keras_inception.training.compiling`: ``compile_for_training``
  compiles a model with a recipe; ``targets_for``.
- :mod:`~keras_inception.training.config`: ``TrainConfig`` and its checks.
- :mod:`~keras_inception.training.callbacks`: backups at the exact step,
  atomic checkpoints, the NaN guard, batch-norm sync, the clock.
- :mod:`~keras_inception.training.run_folder`: a run folder's files and
  checks, and the model rebuilt from it (``load_run``).
- :mod:`~keras_inception.training.runner`: ``train`` and ``evaluate``
  (also importable as :mod:`keras_inception.runner`).
"""

from keras_inception.utils.lazy import lazy_namespace

# Imported on first use (keras_inception.utils.lazy): importing the
# package loads no TensorFlow.
_NAMESPACE = lazy_namespace(__name__, {
    "compiling": ["compile_for_training", "targets_for"],
    "losses": [
        "SparseCategoricalCrossentropyWithSmoothing", "sparse_crossentropy"],
    "recipes": ["RECIPES", "Recipe", "default_recipe"],
})
__getattr__ = _NAMESPACE.attribute
__dir__ = _NAMESPACE.listing
__all__ = _NAMESPACE.names
