"""keras_inception: every Inception generation as Keras 3 applications.

This module re-exports the builders and the model helpers of
:mod:`~keras_inception.models`. The subpackages, in dependency order (each
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

from keras_inception.models.bn_inception import BNInception
from keras_inception.models.builder import ModelInfo, strip_aux
from keras_inception.models.features import feature_extractor, feature_info
from keras_inception.models.imagenet import (decode_predictions,
                                             preprocess_input)
from keras_inception.models.inception_resnet_v1 import InceptionResNetV1
from keras_inception.models.inception_resnet_v2 import InceptionResNetV2
from keras_inception.models.inception_v1 import InceptionV1
from keras_inception.models.inception_v2 import InceptionV2
from keras_inception.models.inception_v3 import InceptionV3
from keras_inception.models.inception_v4 import InceptionV4
from keras_inception.models.macs import count_macs
from keras_inception.models.registry import (get_builder, get_model,
                                             get_model_info, list_models)
from keras_inception.version import __version__

__all__ = [
    "BNInception", "InceptionResNetV1", "InceptionResNetV2", "InceptionV1",
    "InceptionV2", "InceptionV3", "InceptionV4", "ModelInfo", "count_macs",
    "decode_predictions", "feature_extractor", "feature_info", "get_builder",
    "get_model", "get_model_info", "list_models", "preprocess_input",
    "strip_aux",
]
