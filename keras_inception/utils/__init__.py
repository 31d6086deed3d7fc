"""Helpers every subpackage uses: argument checks, atomic file writes,
PNG plotting and child processes. They import nothing else of the package."""
