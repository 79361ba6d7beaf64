"""Damaged, foreign and edited checkpoints, first-format checkpoints, and NaN/inf weights: every bad file
is ONE clear error naming it (and the tensor or key at fault), and nothing is changed by a refusal."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.exceptions import CheckpointError
from skillsight.runs import sealed
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import MODEL_FORMAT, load_model, read_model_spec, save_model
from skillsight.runs.checkpoint_io import SafetensorsCheckpointIO, read_resume_checkpoint
from skillsight.training.loop import LAST_CHECKPOINT, fit
from skillsight.training.sampling import make_loader
from skillsight.training.tasks import SupervisedTask
from tests.robustness._toy_runs import EPOCHS, first_callback, fit_toy, folder_digest, toy
from tests.unit.training._toy import ToyDataset


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("one_epoch") / "run"
    fit_toy(run, 1)
    return run


# ----------------------------------------------------------------------------- damaged and foreign files


def _damage(path: Path, how: str, seed: int = 0) -> None:
    data = bytearray(path.read_bytes())
    gen = torch.Generator().manual_seed(seed)
    if how == "empty":
        data = bytearray()
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "random":
        data = bytearray(
            torch.randint(0, 256, (len(data),), generator=gen, dtype=torch.uint8).numpy().tobytes()
        )
    elif how == "50 flipped bits":
        for bit in torch.randperm(len(data) * 8, generator=gen)[:50].tolist():
            data[bit // 8] ^= 1 << (bit % 8)
    elif how == "text":
        data = bytearray("résumé of epoch 3\n".encode("latin-1"))
    elif how == "other json":
        data = bytearray(b'{"format": "something-else", "tree": {}}')
    path.write_bytes(bytes(data))


DAMAGE = ["empty", "truncated", "random", "50 flipped bits", "text", "other json"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_model_file_is_one_clear_error_naming_it(tmp_path, how):
    save_model(toy(), tmp_path / "model")
    _damage(tmp_path / "model.safetensors", how)
    with pytest.raises(CheckpointError) as err:
        load_model(tmp_path / "model")
    assert str(tmp_path / "model.safetensors") in str(err.value)


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_resume_checkpoint_is_one_clear_error_and_changes_nothing(one_epoch_run, tmp_path, how):
    run = tmp_path / "run"
    shutil.copytree(one_epoch_run, run)
    _damage(run / LAST_CHECKPOINT, how)
    before = folder_digest(run)
    with pytest.raises(CheckpointError) as err:
        fit_toy(run, EPOCHS + 1, resume=True)
    assert str(run / LAST_CHECKPOINT) in str(err.value)
    assert folder_digest(run) == before, "a refused resume leaves the run folder as it was"


def test_every_single_bit_flip_in_a_checkpoint_is_detected(tmp_path):
    io = SafetensorsCheckpointIO()
    path = tmp_path / "last.ckpt"
    io.save_checkpoint({"epoch": 2, "state_dict": {"w": torch.randn(16), "b": torch.zeros(2)}}, path)
    data = path.read_bytes()
    gen = torch.Generator().manual_seed(1)
    for bit in torch.randperm(len(data) * 8, generator=gen)[:300].tolist():
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(flipped))
        with pytest.raises(CheckpointError, match=r"last\.ckpt"):
            read_resume_checkpoint(path)


def test_a_model_checkpoint_is_refused_as_a_resume_checkpoint_and_the_reverse(tmp_path):
    save_model(toy(), tmp_path / "model")
    shutil.copy(tmp_path / "model.safetensors", tmp_path / "last.ckpt")
    with pytest.raises(
        CheckpointError, match=r"last\.ckpt.*not one this package wrote as skillsight-resume-v2"
    ):
        read_resume_checkpoint(tmp_path / "last.ckpt")
    SafetensorsCheckpointIO().save_checkpoint(
        {"epoch": 0, "state_dict": {}}, tmp_path / "other" / "model.safetensors"
    )
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*not model weights"):
        load_model(tmp_path / "other" / "model")


def test_another_models_weights_beside_this_model_json_are_refused(tmp_path):
    save_model(toy(), tmp_path / "a" / "model")
    save_model(toy(embed_dim=4), tmp_path / "b" / "model")
    shutil.copy(tmp_path / "b" / "model.safetensors", tmp_path / "a" / "model.safetensors")
    with pytest.raises(
        CheckpointError, match=r"a/model\.json.*another model.*model_args\.embed_dim is not set here and 4"
    ):
        load_model(tmp_path / "a" / "model")


def _edit_json(path: Path, edit: Callable[[dict], None]) -> None:
    spec = json.loads(path.read_text())
    edit(spec)
    path.write_text(json.dumps(spec))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda s: s["model_args"].update(embed_dim=12), "model_args.embed_dim"),
        (lambda s: s["model_args"].update(bogus=1), "model_args.bogus"),
    ],
    ids=["changed dim", "unknown argument"],
)
def test_an_edited_model_json_is_refused_naming_it_and_the_key(tmp_path, edit, field):
    save_model(toy(), tmp_path / "model")
    _edit_json(tmp_path / "model.json", edit)
    with pytest.raises(CheckpointError, match=rf"model\.json, '{field}': was edited") as err:
        load_model(tmp_path / "model")
    assert str(tmp_path / "model.json") in str(err.value)


def _first_format_model(folder: Path, **model_kwargs: Any) -> torch.nn.Module:
    """A checkpoint as the first format wrote it: weights without a spec, the spec only in model.json."""
    from safetensors.torch import save_file

    model = toy(**model_kwargs)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "model.safetensors"))
    spec = {
        "model_name": model.model_name,
        "model_args": model.model_args,
        "model_module": None,
        "metadata": {},
    }
    (folder / "model.json").write_text(json.dumps(spec))
    return model


def test_first_format_model_checkpoints_still_load_and_their_bad_specs_are_clear_errors(tmp_path):
    model = _first_format_model(tmp_path / "ok")
    loaded = load_model(tmp_path / "ok" / "model")
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in loaded.state_dict().items())
    assert read_model_spec(tmp_path / "ok" / "model")["model_name"] == "test_toy_gaze_classifier"

    _first_format_model(tmp_path / "dim")
    _edit_json(tmp_path / "dim" / "model.json", lambda s: s["model_args"].update(embed_dim=12))
    with pytest.raises(
        CheckpointError, match=r"dim/model\.safetensors, 'distill\.weight'.*shape \[8, 16\] in the file"
    ):
        load_model(tmp_path / "dim" / "model")

    _first_format_model(tmp_path / "kwarg")
    _edit_json(tmp_path / "kwarg" / "model.json", lambda s: s["model_args"].update(bogus=1))
    with pytest.raises(CheckpointError, match=r"kwarg/model\.json, 'model_args'.*bogus"):
        load_model(tmp_path / "kwarg" / "model")

    _first_format_model(tmp_path / "garbage")
    (tmp_path / "garbage" / "model.json").write_bytes(b"\xff\xfe garbage")
    with pytest.raises(
        CheckpointError, match=r"garbage/model\.json: checkpoint spec is not valid UTF-8 JSON"
    ):
        load_model(tmp_path / "garbage" / "model")


def test_a_first_format_resume_checkpoint_resumes_with_a_warning(tmp_path):
    """Written as the first format did (JSON tree + tensors beside it); the next save writes the new one."""
    from safetensors.torch import save_file

    from skillsight.runs.checkpoint_io import encode_tree

    run = tmp_path / "run"
    fit_toy(run, 1)
    state, _ = read_resume_checkpoint(run / LAST_CHECKPOINT)
    tensors: dict[str, torch.Tensor] = {}
    tree = encode_tree(state, tensors)
    save_file(
        {k: v.contiguous().clone() for k, v in tensors.items()}, str(run / f"{LAST_CHECKPOINT}.safetensors")
    )
    (run / LAST_CHECKPOINT).write_text(json.dumps({"format": "skillsight-lightning-v1", "tree": tree}))
    with pytest.warns(UserWarning, match="first format.*cannot be verified"):
        fit_toy(run, 2, resume=True)
    assert read_resume_checkpoint(run / LAST_CHECKPOINT)[0]["epoch"] == 1
    assert not (run / f"{LAST_CHECKPOINT}.safetensors").exists()


# ----------------------------------------------------------------------------- NaN / inf weights


def _poisoned_run(folder: Path) -> Path:
    """A run folder (deploy helper) whose sealed, correctly checksummed weights hold NaN in one tensor."""
    from tests.unit.deploy._runs import make_run

    make_run(folder)
    spec = read_model_spec(folder / "model")
    state = dict(load_model(folder / "model").state_dict())
    name = list(state)[3]
    state[name] = state[name].clone()
    state[name].view(-1)[0] = float("nan")
    checksum = sealed.write_sealed(
        folder / "model.safetensors", state, MODEL_FORMAT, {"spec": json.dumps(spec)}
    )
    atomic_write_text(folder / "model.json", json.dumps({**spec, "checksum": checksum}))
    return folder


def test_saving_nan_weights_is_refused_and_writes_nothing(tmp_path):
    model = toy()
    with torch.no_grad():
        model.head.bias[0] = float("inf")
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors, 'head\.bias': not saved: 1 of 2 values are NaN/inf"
    ):
        save_model(model, tmp_path / "model")
    assert not list(tmp_path.iterdir())


def _evaluate(run: Path) -> None:
    from skillsight.training.skill_run import evaluate_run

    evaluate_run(run)


def _export(run: Path) -> None:
    from skillsight.deploy.export import export_run

    export_run(run, run / "model.onnx")


def _stream(run: Path) -> None:
    from skillsight.deploy.inference import SkillEstimator

    SkillEstimator.from_run(run, backend="torch")


def _power(run: Path) -> None:
    from skillsight.cli.power import power_command

    power_command(str(run), window_s=8.0)


@pytest.mark.parametrize(
    "entry", [_evaluate, _export, _stream, _power], ids=["evaluate", "export", "stream", "power"]
)
def test_every_inference_path_refuses_nan_weights_naming_the_file_and_tensor(tmp_path, entry):
    run = _poisoned_run(tmp_path / "run")
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors, '[\w.]+': 1 of \d+ values are NaN/inf"
    ) as err:
        entry(run)
    assert str(run / "model.safetensors") in str(err.value)


def test_evaluate_on_nan_weights_exits_2_with_one_line(tmp_path, capsys):
    from skillsight.cli.main import main

    run = _poisoned_run(tmp_path / "run")
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(run)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "NaN/inf" in err and "Traceback" not in err and "model.safetensors" in err


def test_an_epoch_with_nan_weights_never_becomes_the_best_model(tmp_path):
    from lightning.pytorch.callbacks import Callback

    class Poison(Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if trainer.current_epoch == 1 and batch_idx == 3:
                with torch.no_grad():
                    pl_module.model.head.weight.fill_(float("nan"))

    train = make_loader(ToyDataset(64, seed=0), batch_size=16, shuffle=True)
    task = SupervisedTask(toy(), OptimConfig())
    cfg = TrainerConfig(max_epochs=2, progress_bar=False)
    with pytest.MonkeyPatch.context() as patch:
        first_callback(patch, Poison())
        with pytest.warns(UserWarning, match=r"epoch 1: .*model\.safetensors, 'head\.weight': not saved"):
            fit(task, train, None, tmp_path, cfg, monitor="no/such/metric")  # every epoch would be "best"
    assert load_model(tmp_path / "model").checkpoint_metadata["epoch"] == 0
