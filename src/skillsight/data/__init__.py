"""Readers that turn every source (Ego-Exo4D, Aria MPS, Expert-Novice Soccer, EPIC-Skills,
face datasets, synthetic) into the typed records of :mod:`skillsight.data.records`."""
