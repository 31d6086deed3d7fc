"""Training: the papers' compile recipes and resumable training runs.

:mod:`~keras_inception.training.recipes` holds the papers' recipes,
:mod:`~keras_inception.training.losses` their losses,
:mod:`~keras_inception.training.compiling` compiles a model with one, and
:mod:`~keras_inception.training.runner` trains and evaluates runs
(:mod:`~keras_inception.training.config`,
:mod:`~keras_inception.training.callbacks`,
:mod:`~keras_inception.training.run_folder`).
"""

from keras_inception.training.compiling import (compile_for_training,
                                                targets_for)
from keras_inception.training.losses import (
    SparseCategoricalCrossentropyWithSmoothing, sparse_crossentropy)
from keras_inception.training.recipes import RECIPES, Recipe, default_recipe

__all__ = [
    "RECIPES", "Recipe", "SparseCategoricalCrossentropyWithSmoothing",
    "compile_for_training", "default_recipe", "sparse_crossentropy",
    "targets_for",
]
