"""demo_errors: per-face held-out errors of teacher, distilled and plain student, paired on the same faces."""

import numpy as np

from skillsight.projects.gaze_estimation.pipeline import demo_errors


def test_three_models_scored_on_the_same_faces() -> None:
    kwargs = dict(seed=0, n_train=32, n_test=8, teacher_epochs=1, student_epochs=1)
    errors = demo_errors(batch_size=16, **kwargs)  # type: ignore[arg-type]
    assert set(errors) == {"teacher", "distilled_student", "plain_student"}
    for e in errors.values():
        assert e.shape == (8,) and np.all(np.isfinite(e)) and np.all((e >= 0) & (e <= 180))
    # same start, same data and order: only the distillation terms separate the two students
    assert not np.allclose(errors["distilled_student"], errors["plain_student"])
    again = demo_errors(batch_size=16, **kwargs)  # type: ignore[arg-type]
    for name, e in errors.items():
        np.testing.assert_allclose(again[name], e, rtol=1e-5, err_msg=name)
