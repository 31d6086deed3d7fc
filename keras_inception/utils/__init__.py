"""Helpers every subpackage uses. They import nothing else of the package.

- :mod:`.checks`: argument checks that name the argument and what it allows.
- :mod:`.atomic`: atomic file writes (temporary name, then ``os.replace``).
- :mod:`.plotting`: architecture diagrams and training curves as PNG.
- :mod:`.processes`: child processes with prefixed output (the launchers).
"""
