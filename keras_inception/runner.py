"""The documented import path of :mod:`keras_inception.training.runner`:
every name in its ``__all__`` (``TrainConfig``, ``train``, ``evaluate``,
``load_run``, the callbacks, the run folder's file names...)."""

from keras_inception.training.runner import *  # noqa: F401,F403
from keras_inception.training.runner import __all__  # noqa: F401
