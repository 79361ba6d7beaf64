"""Metrics and evaluation protocols (clip averaging, per-scenario and pooled accuracy)."""
