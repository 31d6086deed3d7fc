"""keras-tuner width and depth searches."""

from keras_inception.tuning.hypermodel import *  # noqa: F401,F403
