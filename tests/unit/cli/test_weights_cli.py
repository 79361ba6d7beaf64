"""``skillsight weights convert``: writes a folder and reports, or refuses a partial map naming the keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from skillsight.cli.main import main
from tests.unit.models.conversion._fabricate import egovlpv2_state, timesformer_state


def _run(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    out = capsys.readouterr()
    return int(stop.value.code or 0), " ".join((out.out + out.err).split())


def test_convert_writes_a_folder_and_prints_what_it_left_out(tmp_path: Path, capsys) -> None:
    torch.save({"state_dict": egovlpv2_state(layers=2)}, tmp_path / "egovlpv2.pth")
    try:
        main(
            [
                "weights",
                "convert",
                "--from",
                "egovlpv2",
                "--num-heads",
                "4",
                str(tmp_path / "egovlpv2.pth"),
                str(tmp_path / "out"),
            ]
        )
    except SystemExit as stop:  # typer may exit 0
        assert not stop.code
    text = " ".join(capsys.readouterr().out.split())
    assert (tmp_path / "out" / "model.safetensors").is_file() and (tmp_path / "out" / "config.json").is_file()
    assert "mapped: 47 tensors" in text and "left out (not the video encoder): text_model (2)" in text
    assert "filled: encoder.layer.{i}.temporal_dense: identity" in text


def test_a_partial_checkpoint_is_a_clean_error_listing_the_keys(tmp_path: Path, capsys) -> None:
    state = timesformer_state(layers=2)
    del state["model.blocks.0.temporal_fc.weight"], state["model.blocks.1.temporal_fc.weight"]
    torch.save({"model_state": state}, tmp_path / "k400.pyth")
    code, text = _run(
        [
            "weights",
            "convert",
            "--from",
            "timesformer",
            "--num-heads",
            "4",
            str(tmp_path / "k400.pyth"),
            str(tmp_path / "out"),
        ],
        capsys,
    )
    assert code == 2 and "Traceback" not in text
    assert "error: refusing a partial conversion" in text
    assert "encoder.layer.{0-1}.temporal_dense.weight (2)" in text and "--allow-missing" in text
    assert not (tmp_path / "out").exists()
