"""Numpy-only gaze functions shared by training, evaluation and streaming inference."""
