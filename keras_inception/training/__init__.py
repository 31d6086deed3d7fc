"""Training: the papers' compile recipes and resumable training runs."""

from keras_inception.training.recipes import *  # noqa: F401,F403
from keras_inception.training.recipes import compile_for_training  # noqa: F401
