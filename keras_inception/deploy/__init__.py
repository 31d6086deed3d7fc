"""Deployment: export, TF Serving signatures, loading artifacts."""
