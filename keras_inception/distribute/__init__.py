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

from keras_inception.utils.lazy import lazy_namespace

# Imported on first use (keras_inception.utils.lazy): importing the
# package loads no TensorFlow.
_NAMESPACE = lazy_namespace(__name__, {
    "launcher": ["launch"],
    "multi_worker": [
        "MultiWorkerModel", "for_strategy", "sync_moving_statistics"],
    "strategies": [
        "STRATEGIES", "check_global_batch", "get_strategy", "is_multi_worker",
        "task_info"],
    "tf_config": [
        "TF_CONFIG_EXAMPLE", "num_training_tasks", "parse_tf_config"],
})
__getattr__ = _NAMESPACE.attribute
__dir__ = _NAMESPACE.listing
__all__ = _NAMESPACE.names
