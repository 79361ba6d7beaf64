"""Choices shared by the commands that read a split of a dataset (typer shows and checks them)."""

from __future__ import annotations

from enum import Enum

__all__ = ["Split"]


class Split(str, Enum):
    """A dataset split (the annotation file ``proficiency_demonstrator_<split>.json``)."""

    train = "train"
    val = "val"
    test = "test"
