"""The documented import path of :mod:`keras_inception.training.runner`."""

from keras_inception.training.runner import *  # noqa: F401,F403
