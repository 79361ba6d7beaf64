"""Registered models. Import :mod:`skillsight.models` to register every built-in model.

Convention (DESIGN.md): each model is a plain ``nn.Module`` subclassing
:class:`skillsight.models.layers.base.DeclaredInputsModule`; it declares ``input_names``
(what a dataset must decode), takes them as keyword tensors in ``forward`` and returns a dict of
tensors (``"logits"`` at least for classifiers).
"""

from skillsight.models._factory import create_model, list_models, model_dim, model_inputs, register_model

__all__ = ["create_model", "list_models", "model_dim", "model_inputs", "register_model"]
