"""The documented import path of :mod:`keras_inception.deploy.artifacts`."""

from keras_inception.deploy.artifacts import *  # noqa: F401,F403
