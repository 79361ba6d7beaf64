"""Expert-Novice Soccer reader on tiny fixture files written in the real on-disk format."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.projects.soccer.gaze_files import GAZE_FEATURES, read_vec_csv
from skillsight.projects.soccer.motion_files import (
    BONE_NAMES,
    MOTION_FEATURES,
    mirror_motion,
    read_feature_info,
    read_motion_file,
)
from skillsight.projects.soccer.reader import (
    infer_motion_rate_hz,
    load_soccer_dataset,
    read_scores,
    resample_normalised,
)

FEATURE_NAMES = tuple(
    f"{bone}-{feat}-{axis}"
    for bone in sorted(BONE_NAMES)
    for feat, axes in MOTION_FEATURES.items()
    for axis in axes
)


def _write_vec(path: Path, values: np.ndarray, count: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(values) if count is None else count
    path.write_text("\n".join(f"{v:.18e}" for v in [float(n), *values]) + "\n")


def _write_motion(path: Path, values: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(",".join(f"{v:.4f}" for v in row) for row in values) + "\n"
    path.write_bytes(gzip.compress(text.encode()))


def _make_dataset(root: Path, players=(1, 5), num_samples: int = 5, missing_motion=((1, 3),)) -> dict:
    """Scores for 5 players (folders only for ``players``); gaze 50 Hz, motion 3x rows."""
    rng = np.random.default_rng(0)
    scores = np.full((num_samples, 5), 3.0)
    scores[:, 0] = [1.0, 2.5, 2.6, 1.9, 4.0][:num_samples]  # 2.5 is novice under the "> 2.5" rule
    np.savetxt(root / "Expert-Novice-Scores", scores, fmt="%.18e")
    (root / "MotionData").mkdir(parents=True)
    (root / "MotionData" / "feature_info.csv").write_text("\n".join(FEATURE_NAMES) + "\n")
    raw_motion = {}
    for p in players:
        for s in range(1, num_samples + 1):
            n_gaze = 20 + s
            for feat in GAZE_FEATURES:
                _write_vec(
                    root / "EyeTrackingData" / f"Player{p}" / f"S{s:02d}" / f"{feat}_vec.csv",
                    rng.normal(size=n_gaze),
                )
            if (p, s) in missing_motion:
                continue
            motion = rng.normal(size=(3 * n_gaze, len(FEATURE_NAMES))).round(4)
            _write_motion(root / "MotionData" / f"Player{p}" / f"S{s:02d}.txt.gz", motion)
            raw_motion[(p, s)] = motion
    return raw_motion


# ---- _vec.csv ---------------------------------------------------------------------------------


def test_read_vec_csv_values_and_count(tmp_path: Path) -> None:
    _write_vec(tmp_path / "gp0_vec.csv", np.array([0.25, 0.5, 0.75]))
    vec = read_vec_csv(tmp_path / "gp0_vec.csv")
    np.testing.assert_allclose(vec.values, [0.25, 0.5, 0.75])
    assert vec.declared_count == 3 and not vec.count_mismatch


def test_read_vec_csv_count_mismatch_warns_or_raises(tmp_path: Path) -> None:
    path = tmp_path / "pd0_vec.csv"
    _write_vec(path, np.array([3.0, 3.1]), count=5)
    assert read_vec_csv(path).count_mismatch
    with pytest.raises(DataFormatError, match=r"pd0_vec.csv.*'count'.*5"):
        read_vec_csv(path, on_count_mismatch="error")
    with pytest.raises(ConfigError):
        read_vec_csv(path, on_count_mismatch="ignore")


@pytest.mark.parametrize(
    "text, field",
    [
        ("", "count"),
        ("2.5\n1\n2\n", "count"),
        ("-1\n1\n", "count"),
        ("2\n1\nabc\n", "line 3"),
        ("0\n", "count"),
        ("1\nnan\n", "line 2"),
    ],
)
def test_read_vec_csv_bad_files_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "gy0_vec.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=field) as info:
        read_vec_csv(path)
    assert "gy0_vec.csv" in str(info.value)


# ---- motion -----------------------------------------------------------------------------------


def test_feature_info_and_motion_file(tmp_path: Path) -> None:
    (tmp_path / "feature_info.csv").write_text("\n".join(FEATURE_NAMES) + "\n")
    names = read_feature_info(tmp_path / "feature_info.csv")
    assert len(names) == 336 and names[:2] == ("01-X-x", "01-X-y")
    values = np.arange(2 * 336, dtype=np.float64).reshape(2, 336) / 8
    _write_motion(tmp_path / "S01.txt.gz", values)
    np.testing.assert_allclose(read_motion_file(tmp_path / "S01.txt.gz", 336), values, rtol=1e-6)
    plain = tmp_path / "S02.txt"
    plain.write_text("1,2,3\n4,5,6\n")
    assert read_motion_file(plain, 3).shape == (2, 3)


def test_motion_and_feature_info_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("01-X-x\n01-Z-x\n")
    with pytest.raises(DataFormatError, match="01-Z-x"):
        read_feature_info(tmp_path / "bad.csv")
    (tmp_path / "dup.csv").write_text("01-X-x\n01-X-x\n")
    with pytest.raises(DataFormatError, match="duplicated"):
        read_feature_info(tmp_path / "dup.csv")
    (tmp_path / "S01.txt").write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DataFormatError, match=r"columns.*3"):
        read_motion_file(tmp_path / "S01.txt", 4)
    (tmp_path / "S02.txt").write_text("1,2,3\n4,oops,6\n")
    with pytest.raises(DataFormatError, match="oops"):
        read_motion_file(tmp_path / "S02.txt", 3)
    (tmp_path / "S03.txt").write_text("1,2,3\n4,inf,6\n")
    with pytest.raises(DataFormatError, match="row 2, column 2"):
        read_motion_file(tmp_path / "S03.txt", 3)


def _cols(bone: str, feat: str) -> list[int]:
    return [FEATURE_NAMES.index(f"{bone}-{feat}-{a}") for a in MOTION_FEATURES[feat]]


def test_mirror_is_an_involution_and_swaps_sides() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(4, 336)).astype(np.float32)
    mirrored = mirror_motion(values, FEATURE_NAMES)
    np.testing.assert_array_equal(mirror_motion(mirrored, FEATURE_NAMES), values)
    # RightFoot (04) position after mirroring = LeftFoot (07) position with world x negated.
    np.testing.assert_array_equal(mirrored[:, _cols("04", "X")], values[:, _cols("07", "X")] * [-1, 1, 1])
    # Hips (01) stays a hip bone.
    np.testing.assert_array_equal(mirrored[:, _cols("01", "V")], values[:, _cols("01", "V")] * [-1, 1, 1])


def test_mirror_matches_the_reflection_geometry() -> None:
    """Q -> M R M, module-frame A -> M a, W -> -M w, for M = diag(-1, 1, 1) (world x mirror)."""
    rng = np.random.default_rng(2)
    M = np.diag([-1.0, 1.0, 1.0])
    rot = Rotation.random(random_state=3)
    acc_world, omega_world = rng.normal(size=3), rng.normal(size=3)
    row = np.zeros((1, 336))
    quat_xyzw = rot.as_quat()
    row[0, _cols("05", "Q")] = [quat_xyzw[3], *quat_xyzw[:3]]  # file order s, x, y, z
    row[0, _cols("05", "A")] = rot.inv().apply(acc_world)  # module frame
    row[0, _cols("05", "W")] = rot.inv().apply(omega_world)
    out = mirror_motion(row, FEATURE_NAMES)[0]
    s, x, y, z = out[_cols("02", "Q")]  # the left bone became the right one
    r_mirrored = Rotation.from_quat([x, y, z, s]).as_matrix()
    np.testing.assert_allclose(r_mirrored, M @ rot.as_matrix() @ M, atol=1e-12)
    # The mirrored module-frame vectors are the mirrored world vectors seen from the mirrored bone.
    np.testing.assert_allclose(out[_cols("02", "A")], r_mirrored.T @ (M @ acc_world), atol=1e-12)
    np.testing.assert_allclose(out[_cols("02", "W")], r_mirrored.T @ (-M @ omega_world), atol=1e-12)


# ---- scores, resampling, rate -------------------------------------------------------------------


def test_read_scores_errors(tmp_path: Path) -> None:
    (tmp_path / "ok").write_text("1.0 2.0\n3.0 4.0\n")
    assert read_scores(tmp_path / "ok").shape == (2, 2)
    (tmp_path / "high").write_text("1.0 2.0\n3.0 4.5\n")
    with pytest.raises(DataFormatError, match=r"sample 2, player 2.*4.5"):
        read_scores(tmp_path / "high")
    (tmp_path / "ragged").write_text("1.0 2.0\n3.0\n")
    with pytest.raises(DataFormatError, match="columns"):
        read_scores(tmp_path / "ragged")


def test_resample_bins_and_interpolation() -> None:
    np.testing.assert_allclose(resample_normalised(np.arange(6.0), 3)[:, 0], [0.5, 2.5, 4.5])
    np.testing.assert_allclose(resample_normalised(np.array([0.0, 1.0]), 4)[:, 0], [0.0, 0.25, 0.75, 1.0])
    np.testing.assert_allclose(resample_normalised(np.array([[2.0, 3.0]]), 3), [[2.0, 3.0]] * 3)
    uneven = resample_normalised(np.arange(7.0), 3)[:, 0]  # bins of 3, 2, 2 samples
    np.testing.assert_allclose(uneven, [1.0, 3.5, 5.5])


def test_infer_motion_rate_uses_complete_gaze() -> None:
    gaze = [150, 150, 120, 200, 60]  # the dropouts (120, 60) only raise motion/gaze
    motion = [358, 358, 358, 477, 358]
    assert infer_motion_rate_hz(gaze, motion) == pytest.approx(50 * 2.385, abs=0.1)


# ---- whole dataset ----------------------------------------------------------------------------


def test_load_fixture_dataset(tmp_path: Path) -> None:
    raw = _make_dataset(tmp_path)
    ds = load_soccer_dataset(tmp_path, num_steps=8, players=[1, 5])
    assert len(ds) == 10 and ds.mirrored_players == (5,)
    by_id = {s.sample_id: s for s in ds.samples}
    assert [by_id[f"P1-S0{i}"].label for i in range(1, 6)] == [0, 0, 1, 0, 1]
    assert by_id["P1-S05"].action_id == 1 and by_id["P1-S05"].action_name == "free kick"
    sample = by_id["P1-S02"]
    assert sample.gaze.shape == (8, 25) and sample.gaze.dtype == np.float32
    assert sample.gaze_channel_names == GAZE_FEATURES and sample.gaze_counts["gp0"] == 22
    assert sample.motion.values.shape == (8, 336) and sample.motion_rows == 66
    assert ds.motion_rate_hz == pytest.approx(150.0)  # motion rows = 3 x gaze rows at 50 Hz
    # Missing motion: reported, gaze kept.
    assert by_id["P1-S03"].motion is None and by_id["P1-S03"].gaze.shape == (8, 25)
    assert ds.missing_motion == [str(tmp_path / "MotionData" / "Player1" / "S03.txt.gz")]
    # Player 5 mirrored, player 1 not.
    np.testing.assert_allclose(
        by_id["P1-S01"].motion.values, resample_normalised(raw[(1, 1)], 8), rtol=1e-5, atol=1e-6
    )
    expected = resample_normalised(mirror_motion(raw[(5, 2)], FEATURE_NAMES), 8)
    np.testing.assert_allclose(by_id["P5-S02"].motion.values, expected, rtol=1e-5, atol=1e-6)
    report = ds.report()
    assert "missing motion files: 1" in report and "skipped samples: 0" in report


def test_dataset_scan_counts_gaps_and_strict_raises(tmp_path: Path) -> None:
    _make_dataset(tmp_path, players=(1,), num_samples=2, missing_motion=())
    _write_vec(tmp_path / "EyeTrackingData" / "Player1" / "S01" / "pd1_vec.csv", np.ones(21), count=30)
    ds = load_soccer_dataset(tmp_path, num_steps=4)  # players 2..5 have no folders
    assert len(ds) == 2 and len(ds.skipped) == 8
    assert len(ds.count_mismatches) == 1 and "pd1_vec.csv" in ds.count_mismatches[0]
    assert "_vec.csv count header mismatches: 1" in ds.report()
    with pytest.raises(DataFormatError, match=r"pd1_vec\.csv"):
        load_soccer_dataset(tmp_path, num_steps=4, players=[1], on_count_mismatch="error", strict=True)
    with pytest.raises(FileNotFoundError):
        load_soccer_dataset(tmp_path, num_steps=4, strict=True)
    with pytest.raises(ConfigError, match="players"):
        load_soccer_dataset(tmp_path, players=[9])
