"""PriviGaze teacher and student: sizes, contract, gradients, checkpoints, ONNX parity."""

import pytest
import torch

from skillsight.models import create_model
from skillsight.models._factory import MODELS
from skillsight.projects.gaze_estimation.models import PriviGazeStudent, PriviGazeTeacher, count_parameters
from skillsight.runs.checkpoint import load_model, save_model


def test_registered():
    names = set(MODELS.names())
    assert {
        "privigaze_teacher",
        "privigaze_teacher_small",
        "privigaze_student",
        "test_privigaze_teacher",
        "test_privigaze_student",
    } <= names


def test_student_is_about_80k_parameters():
    student = create_model("privigaze_student")
    n = count_parameters(student)
    print(f"privigaze_student parameters: {n}")
    assert abs(n - 80_000) <= 8_000
    # the count does not depend on the image size (fully convolutional)
    assert count_parameters(create_model("privigaze_student", face_size=64)) == n


@pytest.mark.slow  # builds two ConvNeXtV2s (19M parameters); seconds alone, much longer on a loaded machine
def test_teacher_paper_size_is_about_19m_parameters():
    teacher = create_model("privigaze_teacher")
    n = count_parameters(teacher)
    print(f"privigaze_teacher parameters: {n}")
    assert 18_500_000 <= n <= 20_000_000
    # the eye backbone is shared: counting it twice would give ~22.7M
    assert teacher.left_eye_backbone is teacher.right_eye_backbone
    assert teacher.face_backbone.config.hidden_sizes == [80, 160, 320, 640]
    assert teacher.left_eye_backbone.config.hidden_sizes == [40, 80, 160, 320]


def test_contract_declared_inputs_and_sensors():
    assert PriviGazeStudent.input_names == ("face",) and PriviGazeStudent.sensors == ("rgb",)
    assert PriviGazeTeacher.input_names == ("face", "left_eye", "right_eye") and PriviGazeTeacher.sensors == (
        "rgb",
    )


@pytest.mark.parametrize("name", ["test_privigaze_teacher", "test_privigaze_student"])
def test_outputs_shapes_finite_and_gradients_reach_every_parameter(name):
    torch.manual_seed(0)
    model = create_model(name)
    inputs = model.example_inputs(3)
    assert tuple(inputs) == model.input_names
    out = model(**inputs)
    K = model.bins.num_bins
    assert out["logits"].shape == (3, 2, K) and out["pitch_logits"].shape == (3, K)
    assert out["pitchyaw_deg"].shape == (3, 2)
    assert all(torch.isfinite(v).all() for v in out.values())
    lo, hi = model.bins.lo_deg, model.bins.hi_deg
    assert (out["pitchyaw_deg"] > lo).all() and (out["pitchyaw_deg"] < hi).all()
    (out["pitchyaw_deg"].sum() + out["features"].sum()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, missing


def test_teacher_blurs_the_face_inside_the_model():
    teacher = create_model("test_privigaze_teacher", face_blur_sigma_px=2.0)
    face = torch.zeros(1, 1, 32, 32)
    face[..., 16, 16] = 1.0
    blurred = teacher.blur_face(face)
    assert blurred.shape == face.shape
    assert blurred.sum().item() == pytest.approx(1.0, abs=1e-5) and blurred.max().item() < 0.1


@pytest.mark.parametrize("name", ["test_privigaze_teacher", "test_privigaze_student"])
def test_save_load_round_trip(tmp_path, name):
    torch.manual_seed(1)
    model = create_model(name).eval()
    inputs = model.example_inputs(2)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    with torch.no_grad():
        torch.testing.assert_close(loaded(**inputs)["logits"], model(**inputs)["logits"], rtol=0, atol=0)


def test_student_onnx_parity(tmp_path):
    from skillsight.deploy import onnx_export

    pytest.importorskip("onnxruntime")  # the [deploy] extra
    torch.manual_seed(2)
    student = create_model("privigaze_student", face_size=64)
    # non-trivial BatchNorm statistics and light correction, as after training
    for m in student.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    with torch.no_grad():
        student.light.log_gamma.fill_(0.2)
    path = onnx_export.export_onnx(student, tmp_path / "student.onnx")
    worst = onnx_export.check_onnx_parity(student, path, batch_sizes=(1, 3), atol=1e-4)
    assert worst <= 1e-4
