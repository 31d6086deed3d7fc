"""keras_inception: every Inception generation as Keras 3 applications.

This module re-exports the builders and the model helpers of
:mod:`~keras_inception.models`, imported on first use: ``import
keras_inception`` loads no TensorFlow, so the command line's ``--help``
answers at once (:mod:`keras_inception.utils.lazy`). The subpackages, in dependency order (each
imports only those before it; :mod:`~keras_inception.utils` is below all):

- :mod:`~keras_inception.models`: the networks, their registry and helpers.
- :mod:`~keras_inception.data`: input pipelines and the embedded dataset.
- :mod:`~keras_inception.distribute`: strategies, ``TF_CONFIG``, launcher.
- :mod:`~keras_inception.training`: the papers' recipes, resumable runs.
- :mod:`~keras_inception.tuning`: keras-tuner width and depth searches.
- :mod:`~keras_inception.deploy`: export, TF Serving, loading artifacts.
- :mod:`~keras_inception.cli`: the ``keras-inception`` command.

:mod:`keras_inception.runner`, :mod:`keras_inception.export` and
:mod:`keras_inception.artifacts` keep the documented import paths of
``training.runner``, ``deploy.export`` and ``deploy.artifacts``.

Example:
    >>> import keras_inception
    >>> model = keras_inception.InceptionV4(weights=None)
    >>> keras_inception.list_models()[-1]
    'inception_resnet_v2'
"""

from keras_inception.utils.lazy import lazy_namespace
from keras_inception.version import __version__

_NAMESPACE = lazy_namespace(__name__, {
    "models.bn_inception": ["BNInception"],
    "models.builder": ["ModelInfo", "strip_aux"],
    "models.features": ["feature_extractor", "feature_info"],
    "models.folding": ["fold_batch_norm"],
    "models.imagenet": ["decode_predictions", "preprocess_input"],
    "models.inception_resnet_v1": ["InceptionResNetV1"],
    "models.inception_resnet_v2": ["InceptionResNetV2"],
    "models.inception_v1": ["InceptionV1"],
    "models.inception_v2": ["InceptionV2"],
    "models.inception_v3": ["InceptionV3"],
    "models.inception_v4": ["InceptionV4"],
    "models.macs": ["count_macs"],
    "models.registry": ["get_builder", "get_model", "get_model_info",
                        "list_models"],
})
__getattr__ = _NAMESPACE.attribute
__dir__ = _NAMESPACE.listing
__all__ = _NAMESPACE.names
