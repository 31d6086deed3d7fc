"""The networks: shared layer factories, one module per generation, the
builder, and the registry, feature, MAC-counting and ImageNet helpers built
on them. No generation module imports another; nothing here imports the
data, training, tuning or deployment code. The public names are re-exported
by :mod:`keras_inception` itself.

- :mod:`.layers`: the shared factories (``conv_bn``, ``inception_block``,
  ``residual_block``, the heads), block specs and ``Style``.
- :mod:`.custom_layers`: the registered layers ``ScaledResidual``,
  ``LocalResponseNormalization`` and ``Preprocessing``.
- :mod:`.blocks`: the block tables two generations share.
- :mod:`.inception_v1`, :mod:`.bn_inception`, :mod:`.inception_v2`,
  :mod:`.inception_v3`, :mod:`.inception_v4`, :mod:`.inception_resnet_v1`,
  :mod:`.inception_resnet_v2`: one generation each: its paper table, a
  ``body`` returning its ``end_points``, its registry entries, its builder.
- :mod:`.arguments`: the builders' argument checks and input shape.
- :mod:`.builder`: ``ModelInfo``, ``build_model`` (heads, names,
  ``model.end_points``, weights) and ``strip_aux``.
- :mod:`.weights`: loading weight files, structure checked first.
- :mod:`.registry`: ``list_models``, ``get_model``, ``get_model_info``.
- :mod:`.features`: ``feature_extractor`` and ``feature_info``.
- :mod:`.macs`: ``count_macs``.
- :mod:`.folding`: ``fold_batch_norm``, the inference copy with BN folded
  into the convolutions.
- :mod:`.imagenet`: ``preprocess_input`` and ``decode_predictions``.
- :mod:`.table`: the ``keras-inception models`` table.
"""
