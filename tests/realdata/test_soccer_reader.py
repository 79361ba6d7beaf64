"""Expert-Novice Soccer reader on the real files in ../shared/data/expert-novice-soccer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillsight.projects.soccer.gaze_files import GAZE_FEATURES, read_vec_csv
from skillsight.projects.soccer.motion_files import mirror_motion, read_feature_info, read_motion_file
from skillsight.projects.soccer.reader import (
    SOCCER_ACTIONS,
    load_soccer_dataset,
    read_scores,
    resample_normalised,
)

SOCCER_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "expert-novice-soccer"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not SOCCER_ROOT.is_dir(),
        reason=f"real data folder {SOCCER_ROOT} is absent (it ships beside the repo as ../shared/data)",
    ),
]


@pytest.fixture(scope="module")
def two_players():
    """Player 2 (two motion files missing) and player 5 (left-footed, mirrored): 72 samples."""
    return load_soccer_dataset(SOCCER_ROOT, num_steps=32, players=[2, 5])


def test_labels_follow_the_dataset_rule_and_readme_table() -> None:
    scores = read_scores(SOCCER_ROOT / "Expert-Novice-Scores")
    assert scores.shape == (36, 8)
    experts = (scores > 2.5).sum(axis=0)
    assert experts.tolist() == [1, 1, 24, 0, 36, 36, 35, 36]  # the README's per-player table
    assert int(experts.sum()) == 169 and int((scores <= 2.5).sum()) == 119


def test_every_vec_file_count_header_matches() -> None:
    files = sorted((SOCCER_ROOT / "EyeTrackingData").glob("Player*/S*/*_vec.csv"))
    assert len(files) == 8 * 36 * len(GAZE_FEATURES)
    for path in files:
        read_vec_csv(path, on_count_mismatch="error")  # raises on any mismatch


def test_feature_info_has_21_bones_by_16_features() -> None:
    names = read_feature_info(SOCCER_ROOT / "MotionData" / "feature_info.csv")
    assert len(names) == 336
    assert sorted({n.split("-")[0] for n in names}) == [f"{b:02d}" for b in range(1, 22)]


def test_missing_motion_reported_and_gaze_kept(two_players) -> None:
    ds = two_players
    assert len(ds) == 72 and not ds.skipped and not ds.count_mismatches
    assert sorted(Path(p).name for p in ds.missing_motion) == ["S30.txt.gz", "S31.txt.gz"]
    by_id = {s.sample_id: s for s in ds.samples}
    for sid in ("P2-S30", "P2-S31"):
        assert by_id[sid].motion is None
        assert by_id[sid].gaze.shape == (32, 25) and np.isfinite(by_id[sid].gaze).all()
    assert by_id["P2-S33"].action_name == SOCCER_ACTIONS[8] == "juggling"
    assert "missing motion files: 2" in ds.report()


def test_motion_rate_is_inferred_near_120_hz(two_players) -> None:
    assert 115.0 < two_players.motion_rate_hz < 122.0


def _peak_foot_speeds(values: np.ndarray, names: tuple[str, ...]) -> tuple[float, float]:
    right = [names.index(f"04-V-{a}") for a in "xyz"]
    left = [names.index(f"07-V-{a}") for a in "xyz"]
    return float(np.linalg.norm(values[:, right], axis=1).max()), float(
        np.linalg.norm(values[:, left], axis=1).max()
    )


@pytest.mark.parametrize("player", [2, 5])
def test_bones_02_to_04_are_the_kicking_right_leg_after_mirroring(player: int) -> None:
    """In every kick (S01-S20) the fastest foot is bone 04 for right-footed player 2 and for mirrored
    player 5; unmirrored, player 5 (left-footed) kicks with bone 07."""
    names = read_feature_info(SOCCER_ROOT / "MotionData" / "feature_info.csv")
    for s in range(1, 21):
        path = SOCCER_ROOT / "MotionData" / f"Player{player}" / f"S{s:02d}.txt.gz"
        raw = read_motion_file(path, len(names))
        right, left = _peak_foot_speeds(raw, names)
        assert (right > left) == (player != 5), path
        if player == 5:
            right, left = _peak_foot_speeds(mirror_motion(raw, names, str(path)), names)
            assert right > left, path


def test_dataset_mirrors_only_player_5(two_players) -> None:
    assert two_players.mirrored_players == (5,)
    names = two_players.motion_feature_names
    by_id = {s.sample_id: s for s in two_players.samples}
    for player in (2, 5):
        raw = read_motion_file(SOCCER_ROOT / "MotionData" / f"Player{player}" / "S01.txt.gz", len(names))
        expected = mirror_motion(raw, names) if player == 5 else raw
        np.testing.assert_allclose(
            by_id[f"P{player}-S01"].motion.values, resample_normalised(expected, 32), rtol=1e-5, atol=1e-5
        )
