"""tf.distribute strategies, TF_CONFIG, the local launcher."""

from keras_inception.distribute.strategies import *  # noqa: F401,F403
