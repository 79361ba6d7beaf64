"""The ranking method's config: presets with the paper's recipe, values checked up front, the dataset
required, and run folders read back as ranking configs only."""

from __future__ import annotations

import pytest

from skillsight.config import load_config
from skillsight.exceptions import ConfigError
from skillsight.projects.ranking.config import RankingConfig
from skillsight.projects.ranking.pipeline import ranking_config

DATA = ["data.annotation_dir=a", "data.task=t", "data.video_root=v"]


def test_the_paper_preset_is_li_et_al_recipe() -> None:
    cfg = ranking_config(DATA)
    o = cfg.optim
    assert (o.optimizer, o.lr, o.momentum, o.nesterov, o.weight_decay, o.schedule, o.milestones) == (
        "sgd",
        1e-3,
        0.9,
        False,
        1e-3,
        "step",
        [],
    )
    assert (cfg.task.margin, cfg.task.reduction, cfg.data.batch_size, cfg.trainer.max_epochs) == (
        0.5,
        "sum",
        4,
        10,
    )
    assert cfg.model.name == "attention_rnn" and cfg.data.folds == [1, 2, 3, 4]
    assert ranking_config(DATA, preset="ranking_tiny").model.name == "attention_rnn_tiny"


@pytest.mark.parametrize(
    "override, message",
    [
        ("data.on_missing=ignore", "data.on_missing: 'ignore' is not allowed; valid: 'skip', 'error'"),
        ("data.folds=[1, 5]", "data.folds: must be <= 4, got 5"),
        ("data.flow_method=tv", "'tv' is not allowed; valid: 'tvl1', 'farneback'"),
        ("task.reduction=max", "valid: 'sum', 'mean'"),
        ("optim.lr=0", "optim.lr: must be > 0"),
    ],
)
def test_bad_values_are_refused_before_training(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        ranking_config([*DATA, override])


def test_the_dataset_must_be_named() -> None:
    with pytest.raises(ConfigError, match=r"missing: data\.annotation_dir, data\.task, data\.video_root"):
        ranking_config([])
    assert isinstance(load_config("ranking_paper", DATA, method="ranking"), RankingConfig)
