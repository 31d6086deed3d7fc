"""The documented import path of :mod:`keras_inception.deploy.export`."""

from keras_inception.deploy.export import *  # noqa: F401,F403
