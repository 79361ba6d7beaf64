"""Pretrained weights reach every path of a run: training, the feature cache, evaluation, export, power.

Each test writes local Hugging Face folders with seeded, non-default weights (``tests._hf_folders``),
points a run's config at them and checks the model each path ACTUALLY uses: the model handed to the
training loop (spied on), the checkpoint evaluation loads, the crop extractor whose cached features the
run reads (and the cache key that keeps other weights' features out), the ONNX file's initialisers and
the deployed model power is estimated on. Runs take one optimiser step at lr 1e-30 (the smallest
positive lr: every update rounds away in float32), so the trained checkpoint must still hold the
pretrained tensors bit for bit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from skillsight.config import load_config
from skillsight.data.cache import FeatureCache
from skillsight.models.layers.crop_features import CropFeatureExtractor
from skillsight.models.layers.stem_adaptation import adapt_stem_weight
from skillsight.runs.checkpoint import load_model
from skillsight.training import skill_run
from skillsight.training.run_inputs import datasets_for
from skillsight.training.skill_data import crop_extractor_for, load_skill_data
from tests._hf_folders import dinov2_folder, same_tensors, timesformer_folder

pytest.importorskip("onnxruntime")

#: 4-frame clips of 32 px frames and 16 px crops; one step; evaluation on 1 clip per take.
RUN = [
    "data.frame_px=32",
    "data.crop_px=16",
    "data.num_frames=4",
    "data.num_val_clips=1",
    "data.num_test_clips=1",
    "data.decoded_video_cache_mb=0",
    "trainer.progress_bar=false",
    "trainer.max_epochs=1",
    "trainer.max_steps=1",
    "optim.lr=1e-30",
]
STEM = "embeddings.patch_embeddings.projection.weight"
TIME = "embeddings.time_embeddings"
POS = "embeddings.position_embeddings"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Fabricated folders: TimeSformers of 2 frames (runs use 4: the time table is resized)."""
    root = tmp_path_factory.mktemp("weights")
    return {
        "tsf2": (root / "tsf2", timesformer_folder(root / "tsf2", num_hidden_layers=2)),
        "tsf1": (root / "tsf1", timesformer_folder(root / "tsf1", seed=21, num_hidden_layers=1)),
        "dino": (root / "dino", dinov2_folder(root / "dino")),
    }


class _FitSpy:
    """Wraps skill_run.fit: keeps what the training loop received before it changes anything."""

    def __init__(self, real: Any) -> None:
        self.real, self.model_state, self.train_dataset = real, None, None

    def __call__(self, task, train_loader, *args, **kwargs):
        self.model_state = {k: v.detach().clone() for k, v in task.model.state_dict().items()}
        self.train_dataset = train_loader.dataset
        return self.real(task, train_loader, *args, **kwargs)


def _train(cfg, run_dir: Path) -> tuple[Path, _FitSpy]:
    spy = _FitSpy(skill_run.fit)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(skill_run, "fit", spy)
        skill_run.train_run(cfg, run_dir)
    return run_dir, spy


def _timesformer_mismatches(
    state: dict, written: dict, prefix: str, num_frames: int = 4, skip: tuple[str, ...] = ()
) -> list[str]:
    """Tensors of ``written`` a TimeSformer under ``prefix`` lacks (``skip``: compared elsewhere); the time
    table must be the 2-frame one resized to ``num_frames`` (end points kept)."""
    bad = same_tensors(state, written, prefix, skip=(TIME, *skip))
    table = state[prefix + TIME]
    old = written[TIME]
    if table.shape != (1, num_frames, old.shape[-1]) or not (
        torch.equal(table[0, 0], old[0, 0]) and torch.equal(table[0, -1], old[0, -1])
    ):
        bad.append(TIME)
    return bad


def _onnx_initialisers(path: Path) -> list[np.ndarray]:
    import onnx
    from onnx import numpy_helper

    return [numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer]


def _holds(arrays: list[np.ndarray], tensor: torch.Tensor) -> bool:
    want = tensor.detach().numpy()
    return any(a.shape == want.shape and np.array_equal(a, want) for a in arrays)


# ------------------------------------------------------------------------------ SkillSight teacher
@pytest.fixture(scope="module")
def teacher_run(small_skill_dataset: Path, folders, tmp_path_factory: pytest.TempPathFactory):
    tsf, dino = folders["tsf2"][0], folders["dino"][0]
    cfg = load_config(
        "teacher_tiny",
        [
            f"data.root={small_skill_dataset}",
            *RUN,
            "model.name=test_skillsight_teacher",
            # the DEFAULT crop input: DINOv2 features computed and cached by the data pipeline
            "model.args={crop_input: crop_features, "
            f"video_pretrained_dir: {tsf}, crop_weights_dir: {dino}}}",
        ],
    )
    run, spy = _train(cfg, tmp_path_factory.mktemp("runs") / "teacher")
    return cfg, run, spy


def test_teacher_trains_from_the_given_timesformer_and_caches_features_of_the_given_dinov2(
    teacher_run, folders
) -> None:
    _, _, spy = teacher_run
    written_tsf, written_dino = folders["tsf2"][1], folders["dino"][1]
    assert _timesformer_mismatches(spy.model_state, written_tsf, "video_encoder.timesformer.") == []
    assert not any(k.startswith("crop_encoder.") for k in spy.model_state)  # DINOv2 lives in the cache
    used = spy.train_dataset.extractor  # the extractor computing the training clips' crop features
    assert same_tensors(used.backbone.state_dict(), written_dino) == []
    random_init = CropFeatureExtractor("dinov2_test")
    assert spy.train_dataset.identity["weights"] == used.fingerprint() != random_init.fingerprint()


def test_cached_crop_features_are_the_given_dinov2s_and_never_served_to_other_weights(
    teacher_run, folders
) -> None:
    from transformers import Dinov2Model

    cfg, run, _ = teacher_run
    teacher = load_model(run / "model")
    data = load_skill_data(cfg.data)
    cache = run.parent / "cache"
    served = datasets_for(teacher, cfg, data, "test", "test", cache)
    assert served.cache is not None and any(cache.rglob("*"))  # evaluation wrote and now reads the cache
    crops = served.base[0]["crops"]  # (T, 3, 16, 16) normalised crops of the first test clip
    reference = Dinov2Model.from_pretrained(str(folders["dino"][0])).eval()
    with torch.no_grad():
        expected = reference(pixel_values=crops).pooler_output  # (T, 32)
    torch.testing.assert_close(served[0]["crop_features"], expected)
    # The same clip through a random-init extractor, same cache folder: its own features, not the cached ones.
    other = type(served)(
        served.base, CropFeatureExtractor("dinov2_test"), FeatureCache(cache), served.crop_params
    )
    key_given = served.cache.key(
        data.test[0].take_uid, int(served.base[0]["clip_start"]), served.crop_params, served.identity
    )
    key_other = other.cache.key(
        data.test[0].take_uid, int(served.base[0]["clip_start"]), other.crop_params, other.identity
    )
    assert key_given != key_other
    got = other[0]["crop_features"]
    assert not torch.allclose(got, expected)
    torch.testing.assert_close(got, CropFeatureExtractor("dinov2_test")(crops))


def test_evaluation_export_and_power_hold_the_pretrained_weights(teacher_run, folders, tmp_path) -> None:
    from skillsight.deploy.export import export_run
    from skillsight.deploy.power import estimate_deployed_power

    _, run, _ = teacher_run
    written_tsf, written_dino = folders["tsf2"][1], folders["dino"][1]
    evaluated = load_model(run / "model")  # what evaluate_run, export and power load
    assert _timesformer_mismatches(evaluated.state_dict(), written_tsf, "video_encoder.timesformer.") == []
    assert (
        crop_extractor_for(evaluated).fingerprint()
        == CropFeatureExtractor("dinov2_test", weights_dir=folders["dino"][0]).fingerprint()
    )
    result = export_run(run, tmp_path / "teacher.onnx")
    assert _holds(
        _onnx_initialisers(result.path), written_tsf["embeddings.patch_embeddings.projection.weight"]
    )
    deployed, note = evaluated.deployed()  # the model power counts: the frozen DINOv2 runs on every crop
    assert note and same_tensors(deployed.crop_encoder.backbone.state_dict(), written_dino) == []
    assert _timesformer_mismatches(deployed.state_dict(), written_tsf, "video_encoder.timesformer.") == []
    assert same_tensors(deployed.state_dict(), evaluated.state_dict()) == []  # the trained head too
    assert estimate_deployed_power(evaluated, window_s=2.0).macs > 0


def test_student_distils_features_of_the_pretrained_teacher(
    teacher_run, small_skill_dataset, tmp_path
) -> None:
    from skillsight.runs.sealed import read_sealed
    from skillsight.training.skill_data import CropFeatureDataset, precompute_teacher_features

    teacher_cfg, run, _ = teacher_run
    cfg = load_config(
        "student_tiny",
        [
            f"data.root={small_skill_dataset}",
            *RUN,
            "model.name=test_skillsight_student",
            f"task.teacher_run={run}",
        ],
    )
    student_run = skill_run.train_run(cfg, tmp_path / "student")
    stored, _ = read_sealed(
        student_run / "teacher_features.safetensors", (skill_run._FEATURES_FORMAT,), "teacher features"
    )
    # Recompute without any cache: the teacher's own weights and the given DINOv2 on the raw crops.
    teacher = load_model(run / "model")
    data = load_skill_data(teacher_cfg.data)
    cached = datasets_for(teacher, teacher_cfg, data, "train", "test", tmp_path / "no-cache")
    fresh = CropFeatureDataset(cached.base, crop_extractor_for(teacher), None, cached.crop_params)
    torch.testing.assert_close(stored["features"], precompute_teacher_features(teacher, fresh, 8))


# ------------------------------------------------------------------------------- video baselines
#: (model, input stem adaptation, prefix of the TimeSformer's tensors in the model's state dict)
BASELINES = [
    ("test_timesformer_video", None, "backbone."),
    ("test_gaze_crop_video", None, "backbone."),  # 16 px crops: the position table is resized too
    ("test_beholder_gaze_pool", None, "backbone."),
    ("test_naive_teacher", "rgb_extra", "backbone."),  # RGB + gaze heat map: 4 input channels
    ("test_skillformer", None, "backbone."),  # LoRA on a frozen backbone: base tensors are the folder's
]


def _base_layers(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A LoRA-wrapped state dict with the adapters dropped and ``.base_layer`` names restored."""
    return {k.replace(".base_layer", ""): v for k, v in state.items() if ".lora_" not in k}


@pytest.mark.parametrize(("model_name", "stem", "prefix"), BASELINES)
def test_video_baseline_uses_the_given_timesformer_in_every_path(
    model_name: str, stem: str | None, prefix: str, small_skill_dataset: Path, folders, tmp_path: Path
) -> None:
    from skillsight.deploy.export import export_run

    folder, written = folders["tsf1"]
    preset = "naive_teacher_tiny" if "naive" in model_name else "timesformer_tiny"
    extra = ", views: ego" if "skillformer" in model_name else ""  # the synthetic takes' exo views vary
    cfg = load_config(
        preset,
        [
            f"data.root={small_skill_dataset}",
            *RUN,
            f"model.name={model_name}",
            f"model.args={{pretrained_dir: {folder}{extra}}}",
            "data.scenarios=[Music, Dance]",
        ],
    )
    run, spy = _train(cfg, tmp_path / model_name)
    image = 16 if "crop" in model_name else 32
    for state in (spy.model_state, load_model(run / "model").state_dict()):  # training; evaluation/power
        state = _base_layers(state)
        assert _timesformer_mismatches(state, written, prefix, skip=(STEM, POS)) == []
        if image == 32:
            assert torch.equal(state[prefix + POS], written[POS])
        expected_stem = written[STEM] if stem is None else adapt_stem_weight(written[STEM], 4, stem)
        torch.testing.assert_close(state[prefix + STEM], expected_stem, rtol=0, atol=1e-25)
        assert state[prefix + POS].shape == (1, 1 + (image // 8) ** 2, 32)
    result = export_run(run, tmp_path / "model.onnx")
    assert _holds(_onnx_initialisers(result.path), written["encoder.layer.0.layernorm_before.weight"])
