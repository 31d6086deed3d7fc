"""The networks: shared layer factories (``layers``, with the registered
Keras layers in ``custom_layers`` and the block tables two generations share
in ``blocks``), one module per generation, the builder and its argument
checks, and the registry, feature, MAC-counting and ImageNet helpers built
on them. No generation module imports another.

Nothing here imports the data, training, tuning or deployment code.
"""
