"""Input pipelines and the embedded dataset (see :mod:`.pipeline`)."""

from keras_inception.data.pipeline import *  # noqa: F401,F403
from keras_inception.data.pipeline import load, train_stream  # noqa: F401
