"""Model names as users write them: ``"inception_v3"``, ``"Inception-V3"``,
``"InceptionV3"``. One rule, used by the registry and by the cached model
table (which answers without importing Keras).

Example:
    >>> resolve("Inception-V3", ["inception_v3"], {"inceptionv3":
    ...         "inception_v3"}, ["inception_v3"])
    'inception_v3'
"""

from __future__ import annotations


def resolve(name, entries, aliases, generations, argument="name"):
    """The registry key ``name`` means.

    Args:
        name: what the user wrote.
        entries: every registry key (generations and variants).
        aliases: lower-case builder names (``"inceptionv3"``) to keys.
        generations: the generations' keys, for the error message.
        argument: what errors call ``name`` (``"model"`` where the caller's
            argument is named so).

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: an unknown name; the message lists ``generations``.
    """
    if not isinstance(name, str):
        raise TypeError(f"`{argument}` must be a model name (one of "
                        f"{list(generations)}); received {name!r}.")
    key = name.strip().lower().replace("-", "_")
    key = aliases.get(key, key)
    if key not in entries:
        raise ValueError(f"Unknown model {name!r}; `{argument}` must be "
                         f"one of {list(generations)} (or their builder "
                         "names, e.g. 'InceptionV3').")
    return key
