"""Deployment: power estimates, ONNX export and runtime sessions, streaming inference.

Modules (import them directly; this package imports nothing heavy on its own):

* ``skillsight.deploy.power``: the SkillSight paper's power model, ``P = a*N/T + b*B/T + sum s_m*d_m``,
  with MACs from torch's flop counter and bytes moved under stated assumptions.
* ``skillsight.deploy.onnx_export``: export any DeclaredInputsModule to ONNX with a dynamic batch
  axis and its metadata, load it in onnxruntime, and check parity with PyTorch.
* ``skillsight.deploy.export``: export a run folder with its serving metadata (``export_run``).
* ``skillsight.deploy.inference``: ``SkillEstimator`` (from a run or an ONNX file): raw MPS gaze
  rows/CSV -> per-window skill probabilities, through the training-time gaze normalisation.
* ``skillsight.deploy.streaming``: ``GazeStream``, rows pushed as they arrive, an estimate per hop.
"""
