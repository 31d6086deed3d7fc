"""The package version: one place, read by setup.cfg, the package and the
export manifests."""

__version__ = "0.1.0"
