"""Synthetic pairwise set: real on-disk layout, annotation quirks, skill gaps, leak-free folds, regions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skillsight.data.readers.video import probe_video
from skillsight.exceptions import ConfigError
from skillsight.projects.ranking.pairs import load_epic_skills, read_similar_csv, resolve_videos
from skillsight.projects.ranking.synthetic import region_mask, render_drawing_video, write_synthetic_pairs


def test_written_set_reads_back_through_the_real_reader(tiny_pairs) -> None:
    gt_bytes = (tiny_pairs.annotation_dir / f"{tiny_pairs.task}_gt.csv").read_bytes()
    assert gt_bytes.startswith(b"Vid1,Vid2,Best,\r\n")  # the real files' quirks are exercised
    ann = load_epic_skills(tiny_pairs.annotation_dir, tiny_pairs.task)
    assert ann.gt == tiny_pairs.gt and len(ann.gt) > 0
    index = resolve_videos(ann.video_ids(), tiny_pairs.video_dir, on_missing="error")
    assert len(index.paths) == 8
    info = probe_video(index.paths["S000"])
    assert (info.n_frames, info.width_px, info.height_px) == (12, 32, 32)
    s = tiny_pairs.skills
    assert all(s[p.better] - s[p.worse] >= 0.1 for p in ann.gt)  # only pairs with a skill difference
    meta = json.loads((tiny_pairs.root / "synthetic_meta.json").read_text())
    assert meta["videos"]["S000"]["skill"] == pytest.approx(s["S000"])


def test_folds_partition_pairs_without_video_leakage(tiny_pairs) -> None:
    ann = load_epic_skills(tiny_pairs.annotation_dir, tiny_pairs.task)
    seen_val: set[str] = set()
    for k, (train, val) in ann.folds.items():
        assert len(train) + len(val) == len(ann.gt)
        train_videos = {v for p in train for v in (p.better, p.worse)}
        held_out = {v for p in val for v in (p.better, p.worse)} - train_videos
        assert held_out, f"fold {k} holds out no video"
        seen_val |= held_out
    assert seen_val == set(tiny_pairs.skills)  # every video is held out in some fold


def test_skill_changes_the_drawing_not_the_distractor() -> None:
    def ink_error_px(skill: float) -> float:
        frames, box = render_drawing_video(skill, 24, 64, np.random.default_rng(1), 0, 3)
        x0, y0, x1, y1 = box
        last = frames[-1].astype(int)
        ys, xs = np.nonzero(last[..., 2] > last[..., 0] + 40)  # ink is blue on cream paper
        radius = 0.3 * (x1 - x0)
        return float(np.abs(np.hypot(xs + 0.5 - (x0 + x1) / 2, ys + 0.5 - (y0 + y1) / 2) - radius).mean())

    assert ink_error_px(0.0) > 2.0 * ink_error_px(1.0)  # the expert's trail stays on the printed circle
    expert, _ = render_drawing_video(1.0, 24, 64, np.random.default_rng(1), 0, 3)
    novice, _ = render_drawing_video(0.0, 24, 64, np.random.default_rng(1), 0, 3)
    # the distractor quadrant (cell 3, bottom right) is drawn from the same random stream either way
    np.testing.assert_array_equal(expert[:, 40:, 40:], novice[:, 40:, 40:])
    with pytest.raises(ConfigError):
        render_drawing_video(1.5, 4, 32, np.random.default_rng(0), 0, 1)


def test_region_mask_cells() -> None:
    mask = region_mask((0, 0, 32, 32), 64, (4, 4))
    assert mask.sum() == 4 and mask[:2, :2].all()
    assert region_mask((2, 2, 30, 30), 64, (7, 7)).sum() == 9  # centres at 4.6, 13.7, 22.9 px


def test_equally_skilled_pairs_are_written_for_the_similarity_loss(tmp_path) -> None:
    data = write_synthetic_pairs(tmp_path, n_videos=12, n_frames=2, size=32, similar_max_gap=0.08, seed=5)
    similar = read_similar_csv(data.similar_file)
    assert similar == data.similar and similar, "seed 5 should give some close pairs"
    s = data.skills
    ids = sorted(s)
    close = {(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :] if abs(s[a] - s[b]) <= 0.08}
    assert {(p.first, p.second) for p in similar} == close
    ranked = {frozenset((p.better, p.worse)) for p in data.gt}
    assert not ranked & {frozenset(c) for c in close}  # a pair is either ranked or similar
    with pytest.raises(ConfigError, match="similar_max_gap"):
        write_synthetic_pairs(tmp_path / "bad", n_videos=8, min_skill_gap=0.1, similar_max_gap=0.1)
