"""Package namespaces that import their modules on first use (PEP 562).

``import keras_inception`` and the subpackages' ``__init__`` modules name
what they re-export but import nothing heavy: TensorFlow and Keras load
when a builder, a pipeline or an exporter is first touched, so that
``keras-inception --help`` and argument errors answer at once.

Example:
    >>> namespace = lazy_namespace("json", {"decoder": ["JSONDecoder"]})
    >>> namespace.names
    ['JSONDecoder']
    >>> namespace.attribute("JSONDecoder").__name__
    'JSONDecoder'
"""

from __future__ import annotations

import dataclasses
import importlib
import sys


@dataclasses.dataclass(frozen=True)
class LazyNamespace:
    """What a package ``package`` re-exports: ``where`` maps each name to
    the module that defines it."""

    package: str
    where: dict

    @property
    def names(self):
        """Every re-exported name, sorted (the package's ``__all__``)."""
        return sorted(self.where)

    def attribute(self, name):
        """The package's ``__getattr__``: imports the module holding
        ``name``."""
        try:
            module = self.where[name]
        except KeyError:
            raise AttributeError(f"module {self.package!r} has no attribute "
                                 f"{name!r}") from None
        value = getattr(importlib.import_module(module), name)
        # Later lookups find the name in the package itself.
        setattr(sys.modules[self.package], name, value)
        return value

    def listing(self):
        """The package's ``__dir__``: its own names and the lazy ones."""
        return sorted(set(vars(sys.modules[self.package])) | set(self.where))


def lazy_namespace(package, exports):
    """A :class:`LazyNamespace` for ``package`` re-exporting
    ``exports`` (``{submodule: [names]}``, submodules relative to
    ``package``). A package assigns ``__getattr__ = namespace.attribute``,
    ``__dir__ = namespace.listing`` and ``__all__ = namespace.names``."""
    where = {}
    for module, names in exports.items():
        for name in names:
            if name in where:
                raise ValueError(f"{name!r} is exported by both "
                                 f"{where[name]} and {module}")
            where[name] = f"{package}.{module}"
    return LazyNamespace(package, where)
