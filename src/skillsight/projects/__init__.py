"""Side methods, one wing each (reader, dataset, model, task, pipeline together), built on the spine.

* :mod:`.soccer`: Expert-Novice Soccer (motion + gaze teacher -> gaze-only student).
* :mod:`.gaze_estimation`: PriviGaze (gaze from a face image, privileged distillation).
* :mod:`.ranking`: Li et al. 2019 spatial-attention RNN with pairwise ranking (EPIC-Skills).
* :mod:`.attributes`: CrossTrainer-style skill attributes and coaching feedback.

Projects import the spine (gaze, data, models, runs, training, evaluation, deploy); the spine never
imports a project, and projects do not import each other.
"""
