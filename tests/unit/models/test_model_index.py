"""The built-in model index: it names exactly what each module registers, and a student stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys

from skillsight.models import list_models
from skillsight.models._factory import BUILTIN_MODEL_INDEX, MODELS


def test_index_matches_what_each_module_registers():
    list_models()  # imports every built-in module
    for module, names in BUILTIN_MODEL_INDEX.items():
        importlib.import_module(module)
        for name in names:
            assert MODELS.get(name).__module__ == module, (name, module)
    indexed = {n for names in BUILTIN_MODEL_INDEX.values() for n in names}
    builtin = {
        n
        for n in MODELS.names()
        if MODELS.get(n).__module__ in BUILTIN_MODEL_INDEX and not n.startswith("test_toy")
    }
    assert builtin == indexed, sorted(builtin ^ indexed)


def test_a_gaze_only_student_never_imports_transformers():
    """Building a student and serving it leave transformers (seconds to import) unimported.

    (Training still imports it: Lightning imports torchmetrics, whose text metrics import transformers
    whenever it is installed.)
    """
    code = (
        "import sys\n"
        "from skillsight.models import create_model\n"
        "import skillsight.deploy.inference\n"
        "create_model('skillsight_student_tiny', num_classes=4)\n"
        "print(sorted(m for m in ('transformers', 'lightning') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=240, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_teacher_still_builds_on_demand():
    model = importlib.import_module("skillsight.models").create_model("test_skillsight_teacher")
    assert model.model_module == "skillsight.models.skillsight_teacher"
    assert "transformers" in sys.modules
