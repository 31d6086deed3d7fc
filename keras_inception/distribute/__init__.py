"""Distributed training: tf.distribute strategies, TF_CONFIG, the local
launcher and the multi-worker correction for Keras 3 (TensorFlow backend).

:mod:`~keras_inception.distribute.strategies` picks strategies by name,
:mod:`~keras_inception.distribute.tf_config` validates cluster descriptions,
:mod:`~keras_inception.distribute.multi_worker` corrects
``MultiWorkerMirroredStrategy`` training (keras-team/keras#20585) and
:mod:`~keras_inception.distribute.launcher` runs local workers.
"""

from keras_inception.distribute.launcher import launch
from keras_inception.distribute.multi_worker import (MultiWorkerModel,
                                                     for_strategy,
                                                     sync_moving_statistics)
from keras_inception.distribute.strategies import (STRATEGIES,
                                                   check_global_batch,
                                                   get_strategy,
                                                   is_multi_worker, task_info)
from keras_inception.distribute.tf_config import (TF_CONFIG_EXAMPLE,
                                                  num_training_tasks,
                                                  parse_tf_config)

__all__ = [
    "MultiWorkerModel", "STRATEGIES", "TF_CONFIG_EXAMPLE",
    "check_global_batch", "for_strategy", "get_strategy", "is_multi_worker",
    "launch", "num_training_tasks", "parse_tf_config",
    "sync_moving_statistics", "task_info",
]
