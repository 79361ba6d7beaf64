"""The run folder on disk: atomic writes, model checkpoints, resume checkpoints, the stored config, hashes.

Everything downstream of training (evaluation, export, power, streaming, reports) reads run folders
through this package.
"""
