"""Named difficulty levels of the synthetic skill data: how noisy the latent skill, labels and cues are.

Three knobs make a take harder to assess:

* ``attribute_noise`` (the float ``difficulty`` of :class:`~skillsight.data.synthetic.takes.SyntheticConfig`):
  scale of the per-take and per-attribute noise around ``level / 3`` (0 = every take of a level has
  the same attributes);
* ``label_noise``: probability that the annotated label is another level (annotators disagree; the latent
  level, recorded in ``synthetic_take.json``, is unchanged);
* ``cue_strength``: how far behaviour moves between a novice and an expert. Every behaviour parameter is an
  interpolation ``novice + (expert - novice) * a``; with ``cue_strength`` s the attribute a is replaced by
  ``0.5 + s * (a - 0.5)`` before it drives behaviour, so at s = 0.6 an expert behaves like a = 0.8 and a
  novice like a = 0.2 (the recorded attributes stay the latent truth).

The levels were fixed before any model was trained on them and are not tuned on results: ``hard`` is the
benchmark's second condition, on which no change to the generator or to a recipe may be chosen.

=========  ===============  ===========  ============
level      attribute noise  label noise  cue strength
=========  ===============  ===========  ============
easy       0.0              0.0          1.0
default    1.0              0.0          1.0
hard       1.5              0.15         0.6
=========  ===============  ===========  ============
"""

from __future__ import annotations

from dataclasses import dataclass

from skillsight.exceptions import ConfigError

__all__ = ["DIFFICULTY_LEVELS", "DifficultyLevel", "resolve_difficulty", "weaken_cues"]


@dataclass(frozen=True)
class DifficultyLevel:
    """The three knobs of one named level (see the module docstring)."""

    attribute_noise: float
    label_noise: float
    cue_strength: float


DIFFICULTY_LEVELS: dict[str, DifficultyLevel] = {
    "easy": DifficultyLevel(attribute_noise=0.0, label_noise=0.0, cue_strength=1.0),
    "default": DifficultyLevel(attribute_noise=1.0, label_noise=0.0, cue_strength=1.0),
    "hard": DifficultyLevel(attribute_noise=1.5, label_noise=0.15, cue_strength=0.6),
}


def resolve_difficulty(
    difficulty: float | str, label_noise: float | None = None, cue_strength: float | None = None
) -> DifficultyLevel:
    """The knobs for ``difficulty`` (a level name or an attribute-noise scale); explicit values win.

    Args:
        difficulty: "easy", "default", "hard", or a number (the attribute-noise scale; a number given as a
            string, e.g. from the CLI, is accepted too).
        label_noise: overrides the level's label noise (None: the level's; 0 for a plain number).
        cue_strength: overrides the level's cue strength (None: the level's; 1 for a plain number).

    Raises:
        ConfigError: an unknown name.
    """
    if isinstance(difficulty, str):
        name = difficulty.strip().lower()
        if name in DIFFICULTY_LEVELS:
            level = DIFFICULTY_LEVELS[name]
        else:
            try:
                level = DifficultyLevel(float(name), 0.0, 1.0)
            except ValueError:
                raise ConfigError(
                    f"synthetic dataset: difficulty {difficulty!r} is neither a number nor one of "
                    f"{sorted(DIFFICULTY_LEVELS)}"
                ) from None
    else:
        level = DifficultyLevel(float(difficulty), 0.0, 1.0)
    return DifficultyLevel(
        level.attribute_noise,
        level.label_noise if label_noise is None else float(label_noise),
        level.cue_strength if cue_strength is None else float(cue_strength),
    )


def weaken_cues(attributes: dict[str, float], cue_strength: float) -> dict[str, float]:
    """The attributes that drive behaviour: ``0.5 + cue_strength * (a - 0.5)`` (unchanged at strength 1)."""
    if cue_strength == 1.0:
        return dict(attributes)  # exactly the latent values (keeps the default data byte-identical)
    return {name: 0.5 + cue_strength * (value - 0.5) for name, value in attributes.items()}
