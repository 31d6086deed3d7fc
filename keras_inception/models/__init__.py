"""The networks: shared layer factories, one module per generation, and the
registry, feature, MAC-counting and ImageNet helpers built on them.

Nothing here imports the data, training, tuning or deployment code.
"""
