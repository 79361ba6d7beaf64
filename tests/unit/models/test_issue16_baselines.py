"""The issue-16 baselines beyond the generic contract: gaze maps, triggers, duty cycles, power."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.deploy.onnx_export import check_onnx_parity, export_onnx
from skillsight.deploy.power import estimate_deployed_power, estimate_power
from skillsight.models import create_model
from skillsight.models.egotrigger import AudioEventTrigger
from skillsight.models.gaze_pooled_video import gaze_pooling_weights
from skillsight.models.naive_teacher import gaze_heatmaps


def test_gaze_heatmap_peaks_at_the_gaze_and_is_empty_where_invalid() -> None:
    gaze = torch.tensor([[[0.25, 0.75], [0.5, 0.5]]])
    maps = gaze_heatmaps(gaze, torch.tensor([[True, False]]), 8, 0.1)  # (1, 2, 1, 8, 8)
    first = maps[0, 0, 0]
    row, col = divmod(int(first.argmax()), 8)
    assert (row, col) == (5, 1)  # the first of the four pixels whose centres are 1/16 from the gaze
    assert float(first.max()) == pytest.approx(np.exp(-2 * (1 / 16) ** 2 / (2 * 0.1**2)), rel=1e-5)
    assert float(maps[0, 1].abs().sum()) == 0.0


def test_gaze_pooling_weights_sum_to_one_peak_at_the_gazed_patch_and_fall_back_to_uniform() -> None:
    gaze = torch.tensor([[[0.9, 0.1], [float("nan"), 0.5], [0.2, 0.2]]])
    w = gaze_pooling_weights(gaze, torch.tensor([[True, True, False]]), 4, 0.1)  # (1, 3, 16)
    torch.testing.assert_close(w.sum(-1), torch.ones(1, 3))
    assert int(w[0, 0].argmax()) == 3  # row 0, column 3
    torch.testing.assert_close(w[0, 1], torch.full((16,), 1 / 16))  # NaN gaze: no prior
    torch.testing.assert_close(w[0, 2], torch.full((16,), 1 / 16))  # masked


def test_beholder_pooling_follows_the_gaze() -> None:
    model = create_model("test_beholder_gaze_pool").eval()
    inputs = model.example_inputs(1)
    with torch.no_grad():
        left = model(**{**inputs, "gaze2d": torch.full_like(inputs["gaze2d"], 0.1)})
        right = model(**{**inputs, "gaze2d": torch.full_like(inputs["gaze2d"], 0.9)})
    assert not torch.allclose(left["features"], right["features"])


def test_naive_teacher_uses_the_gaze() -> None:
    model = create_model("test_naive_teacher").eval()
    inputs = model.example_inputs(2)
    with torch.no_grad():
        a = model(**inputs)["logits"]
        b = model(**{**inputs, "gaze": inputs["gaze"] + 1.0})["logits"]
        c = model(**{**inputs, "gaze2d": 1.0 - inputs["gaze2d"]})["logits"]
    assert not torch.allclose(a, b) and not torch.allclose(a, c)


def test_trigger_fires_on_a_click_and_not_on_steady_noise() -> None:
    trigger = AudioEventTrigger(num_frames=4, samples_per_frame=800, hop=80, threshold_db=12.0)
    audio = 0.01 * torch.randn(2, 3200, generator=torch.Generator().manual_seed(1))
    audio[0, 2 * 800 + 100 : 2 * 800 + 140] += 0.6  # a click in frame 2 of clip 0
    fired = trigger(audio)
    assert fired.tolist() == [[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    loud = trigger(audio * 50.0)  # the threshold is relative to the clip's own background
    assert loud.tolist() == fired.tolist()


def test_egotrigger_only_classifies_triggered_frames_and_measures_its_duty() -> None:
    model = create_model("test_egotrigger")
    inputs = model.example_inputs(2)  # clicks in frames 0 and 1 of 4
    model.eval()
    with torch.no_grad():
        out = model(**inputs)
        untouched = model(
            **{**inputs, "video": torch.cat([inputs["video"][:, :2], inputs["video"][:, 2:] * 9], 1)}
        )
    assert out["triggered"].tolist() == [[1, 1, 0, 0]] * 2
    torch.testing.assert_close(out["logits"], untouched["logits"])  # untriggered frames are never seen
    assert model.camera_duty == model.prior_duty  # nothing trained yet
    model.train()
    model(**inputs)
    assert model.camera_duty == pytest.approx(0.5)
    assert model.duty_cycles == {"rgb": pytest.approx(0.5), "microphone": 1.0}


def test_egotrigger_power_counts_the_triggered_duty_and_only_the_triggered_frames() -> None:
    model = create_model("test_egotrigger")
    model.train()
    model(**model.example_inputs(2))  # duty 0.5: 2 of 4 frames
    model.eval()
    full = estimate_power(model, window_s=2.0)
    deployed = estimate_deployed_power(model, window_s=2.0)
    assert deployed.sensor_mw == {"rgb": pytest.approx(17.5), "microphone": pytest.approx(0.3)}
    assert deployed.macs == pytest.approx(full.macs / 2, rel=0.01)  # the CNN on 2 frames instead of 4
    assert any("camera on for 2 of 4 frames" in a for a in deployed.assumptions)


def test_egodistill_power_counts_the_sparse_camera_and_the_imu() -> None:
    model = create_model("test_egodistill")  # 2 sparse frames of a 4-frame clip
    report = estimate_power(model, window_s=8.0)
    assert report.sensor_mw == {"rgb": pytest.approx(17.5), "imu": pytest.approx(1.2)}
    assert model.input_options == {"num_sparse_frames": 2, "head_motion_steps": 8}


@pytest.mark.parametrize(
    "name",
    ["test_x3d", "test_egodistill", "test_egotrigger", "test_beholder_gaze_pool", "test_naive_teacher"],
)
def test_onnx_export_matches_pytorch(name: str, tmp_path) -> None:
    model = create_model(name).eval()
    path = export_onnx(model, tmp_path / f"{name}.onnx")
    assert check_onnx_parity(model, path, batch_sizes=(1, 2), atol=1e-4) <= 1e-4
