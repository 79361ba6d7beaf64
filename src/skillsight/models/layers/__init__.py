"""Blocks shared by several models (model files never import each other)."""
