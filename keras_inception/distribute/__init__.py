"""Distributed training: tf.distribute strategies, TF_CONFIG, the local
launcher and the multi-worker correction for Keras 3 (TensorFlow backend);
imports only the utils subpackage.

- :mod:`~keras_inception.distribute.strategies`: ``get_strategy`` by name,
  ``check_global_batch``, ``task_info``, ``is_multi_worker``.
- :mod:`~keras_inception.distribute.tf_config`: ``parse_tf_config``
  validates cluster descriptions.
- :mod:`~keras_inception.distribute.multi_worker`: ``for_strategy`` corrects
  ``MultiWorkerMirroredStrategy`` training (keras-team/keras#20585);
  ``sync_moving_statistics``.
- :mod:`~keras_inception.distribute.launcher`: ``launch`` runs N local
  workers.
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
