"""The attention RNN from local ResNet folders: the RGB stream as given, the flow stream's stem adapted.

The run takes one epoch at lr 1e-30 (every update rounds away in float32), so the checkpoints that
evaluation, export and power load must hold the pretrained tensors bit for bit; the model the training
loop receives is spied on. The flow stream gets an RGB (ImageNet-style) folder, as two-stream networks
start their flow stream: its stem is the mean of the RGB filters repeated over the 2K flow channels.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.models.layers.stem_adaptation import adapt_stem_weight
from skillsight.projects.ranking import pipeline
from skillsight.projects.ranking.models import resnet_config
from skillsight.projects.ranking.pipeline import ranking_config, train_ranking
from skillsight.runs.checkpoint import load_model
from tests._hf_folders import resnet_folder, same_tensors

STEM = "embedder.embedder.convolution.weight"
#: batch-norm statistics: training (even at lr 1e-30) moves them towards the batches' statistics
BN_STATS = ("running_mean", "running_var", "num_batches_tracked")
FLOW_CHANNELS = 4  # test_attention_rnn stacks 2 flow fields


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("resnets")
    rgb = resnet_folder(root / "rgb", resnet_config("test", 3), seed=41)
    flow_source = resnet_folder(root / "flow", resnet_config("test", 3), seed=42)
    return {"rgb": (root / "rgb", rgb), "flow": (root / "flow", flow_source)}


def _check(state: dict[str, torch.Tensor], folders, trained: bool = False) -> None:
    """``state`` (an AttentionRNN's) holds the RGB folder as is and the flow folder with its stem adapted;
    ``trained``: the batch-norm statistics were updated by training (the model the loop received holds
    the folder's exactly; after training only their update count is checked)."""
    rgb, flow = folders["rgb"][1], folders["flow"][1]
    for prefix, written, skip in (("features.rgb.", rgb, ()), ("features.flow.", flow, (STEM,))):
        stats = tuple(k for k in written if k.endswith(BN_STATS)) if trained else ()
        assert same_tensors(state, written, prefix, skip=skip + stats) == []
        for key in (k for k in stats if k.endswith("num_batches_tracked")):
            assert int(state[prefix + key]) > int(written[key])  # counted on from the folder's count
    held = state["features.flow." + STEM]
    assert held.shape == (8, FLOW_CHANNELS, 7, 7)
    torch.testing.assert_close(held, adapt_stem_weight(flow[STEM], FLOW_CHANNELS, "flow"), rtol=0, atol=0)
    torch.testing.assert_close(held[:, 0], flow[STEM].mean(dim=1), rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore:Constant folding:UserWarning")
def test_ranking_run_trains_evaluates_exports_and_estimates_power_with_the_given_resnets(
    tiny_pairs, folders, tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime")
    from skillsight.deploy.onnx_export import check_onnx_parity, export_onnx
    from skillsight.deploy.power import estimate_power

    seen = {}
    real_fit = pipeline.fit

    def spy(task, *args, **kwargs):
        seen["model"] = {k: v.clone() for k, v in task.model.state_dict().items()}
        return real_fit(task, *args, **kwargs)

    rgb_dir, flow_dir = folders["rgb"][0], folders["flow"][0]
    cfg = ranking_config(
        [
            f"data.annotation_dir={tiny_pairs.annotation_dir}",
            f"data.task={tiny_pairs.task}",
            f"data.video_root={tiny_pairs.video_dir}",
            "data.folds=[1]",
            "data.keep_in_memory=true",
            "data.flow_method=farneback",
            f"data.flow_cache_dir={tmp_path / 'flow'}",
            "model.name=test_attention_rnn",
            f"model.args={{rgb_pretrained_dir: {rgb_dir}, flow_pretrained_dir: {flow_dir}}}",
            "optim.lr=1e-30",
            "trainer.max_epochs=1",
        ]
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "fit", spy)
        metrics = train_ranking(cfg, tmp_path / "run", log=lambda _: None)
    assert 0.0 <= metrics["ranking_accuracy"]["mean"] <= 1.0
    _check(seen["model"], folders)  # the model the training loop received
    # the run folder says which flow was used, and it is the configured (explicit) one
    flow = json.loads((tmp_path / "run" / "flow.json").read_text())
    assert flow["method"] == metrics["flow_method"] == "farneback"
    assert flow["function"] == "cv2.calcOpticalFlowFarneback"
    evaluated = load_model(tmp_path / "run" / "fold_1" / "model.safetensors")  # `skillsight rank eval`
    _check(evaluated.state_dict(), folders, trained=True)
    # the exporter folds each batch norm into its convolution, so the file's initialisers are not the
    # folder's tensors: the exported graph must compute what the loaded model computes
    onnx_path = export_onnx(evaluated, tmp_path / "ranker.onnx")
    assert check_onnx_parity(evaluated, onnx_path) < 1e-4
    assert estimate_power(evaluated, window_s=1.0).macs > 0


def test_constant_flow_meets_the_adapted_stem_as_the_mean_rgb_filter_response(folders) -> None:
    """Each flow channel's filter is the RGB filters' mean, so a flow input equal on its 2K channels
    gives 2K/3 times the pretrained stem's response to that value on all three RGB channels."""
    from transformers import ResNetModel

    model = create_model("test_attention_rnn", flow_pretrained_dir=str(folders["flow"][0]))
    rgb = ResNetModel.from_pretrained(str(folders["flow"][0])).eval()
    x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    conv_flow = model.features.flow.embedder.embedder.convolution
    conv_rgb = rgb.embedder.embedder.convolution
    with torch.no_grad():
        got = conv_flow(x.expand(-1, FLOW_CHANNELS, -1, -1))
        want = conv_rgb(x.expand(-1, 3, -1, -1)) * (FLOW_CHANNELS / 3)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_a_resnet_of_another_layout_or_a_partial_file_is_refused(folders, tmp_path: Path) -> None:
    resnet_folder(tmp_path / "wide", resnet_config("tiny", 3))
    with pytest.raises(ConfigError, match=r"rgb_pretrained_dir .*hidden_sizes \[16, 32\] in the folder"):
        create_model("test_attention_rnn", rgb_pretrained_dir=str(tmp_path / "wide"))
    from safetensors.torch import load_file, save_file

    partial = tmp_path / "partial"
    resnet_folder(partial, resnet_config("test", 3))
    weights = load_file(partial / "model.safetensors")
    weights.pop(next(k for k in weights if k.endswith(STEM)))
    save_file(weights, partial / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ConfigError, match=r"flow_pretrained_dir .*lacks 1 tensors"):
        create_model("test_attention_rnn", flow_pretrained_dir=str(partial))
