"""Skill estimates from raw Aria gaze: windows cut and normalised exactly as in training.

::

    from skillsight.deploy.inference import SkillEstimator
    est = SkillEstimator.from_run("runs/demo/student")          # onnxruntime if installed, else torch
    for w in est.predict_windows("general_eye_gaze.csv", trajectory="closed_loop_trajectory.csv"):
        print(w.start_us, w.label, w.probabilities, w.latency_ms)

A window starting at ``start_us`` has its ``T`` step times from :meth:`ServingSpec.query_us` (the
dataset's own :func:`frame_timestamps_us`); its model inputs come from
:func:`skillsight.gaze.resample.gaze_samples_at` then :func:`skillsight.gaze.normalize.normalize_windows_gaze`
(:func:`~skillsight.gaze.normalize.normalize_clip_gaze` is that function on one window),
the two calls :class:`skillsight.data.datasets.SkillClipDataset` makes for a training clip (no copy
of the maths here). Windows start at the first gaze sample (the dataset's ``t0``) and every hop.

Which windows exist (the same rule in :mod:`skillsight.deploy.streaming`): every window whose last
step time is at or before the last gaze sample, and always the first window, so a recording
shorter than one window still gets one (usually skipped) answer. A window with fewer than
``min_valid_fraction`` of its steps observed is not run; it comes back with ``skipped`` = the reason.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.data.records import SCENARIOS
from skillsight.deploy.backends import Backend, OnnxBackend, TorchBackend, make_run_backend
from skillsight.deploy.gaze_rows import GazeRowParser, GazeRows
from skillsight.deploy.spec import ServingSpec, spec_from_run
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.normalize import NormalizedGaze, normalize_windows_gaze
from skillsight.gaze.resample import GazeSamples, gaze_samples_at
from skillsight.gaze.tracks import DeviceCalibration, GazeTrack, Trajectory

__all__ = [
    "GazeInput",
    "PreparedWindows",
    "SkillEstimator",
    "WindowPrediction",
    "to_gaze_track",
    "window_starts",
]

#: What the estimator accepts as gaze: a track, a CSV path, parsed rows, or raw row mappings.
GazeInput = GazeTrack | str | Path | GazeRows | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class WindowPrediction:
    """The estimate of one window.

    Attributes:
        start_us, end_us: window span on the device clock (``end_us`` exclusive).
        probabilities: (C,) float64 softmax of the skill logits; None when skipped.
        label: the most probable class name; None when skipped.
        latency_ms: wall time of the model call (0 when skipped).
        preprocess_ms: wall time of resampling + normalisation.
        valid_steps: steps with observed gaze (of ``num_steps``). pose_steps: steps with a head pose.
        num_steps: T.
        skipped: why the model was not run, or None.
    """

    start_us: int
    end_us: int
    probabilities: np.ndarray | None
    label: str | None
    latency_ms: float
    preprocess_ms: float
    valid_steps: int
    pose_steps: int
    num_steps: int
    skipped: str | None = None

    def format(self, class_names: Sequence[str] = ()) -> str:
        """One line: span, estimate (or SKIPPED and why), observed steps, latency."""
        span = f"[{self.start_us / 1e6:12.3f} s .. {self.end_us / 1e6:12.3f} s]"
        steps = f"gaze {self.valid_steps:2d}/{self.num_steps} pose {self.pose_steps:2d}"
        if self.skipped is not None or self.probabilities is None:
            return f"{span} SKIPPED ({self.skipped})  {steps}"
        probs = (
            " ".join(f"{n}={p:.3f}" for n, p in zip(class_names, self.probabilities)) if class_names else ""
        )
        return (
            f"{span} {self.label:<20s} p={float(self.probabilities.max()):.3f}  {steps}  "
            f"infer {self.latency_ms:7.3f} ms  prep {self.preprocess_ms:6.2f} ms  {probs}"
        ).rstrip()


@dataclass(frozen=True)
class PreparedWindows:
    """Model inputs of W windows, prepared in one pass (:meth:`SkillEstimator.prepare_windows`).

    Attributes:
        starts_us: (W,) int64 window starts.
        inputs: model input name -> (W, ...) array (``gaze`` (W, T, 14), ...).
        samples: the raw samples of all W * T steps, window after window.
        norm: the normalised gaze, arrays (W, T, ...).
        valid_steps: (W,) steps with observed gaze. pose_steps: (W,) steps with a head pose.
    """

    starts_us: np.ndarray
    inputs: dict[str, np.ndarray]
    samples: GazeSamples
    norm: NormalizedGaze
    valid_steps: np.ndarray
    pose_steps: np.ndarray

    @property
    def num_windows(self) -> int:
        """W."""
        return int(self.starts_us.shape[0])

    def window_inputs(self, w: int) -> dict[str, np.ndarray]:
        """The inputs of window ``w`` as a batch of one (views, no copy)."""
        return {name: array[w : w + 1] for name, array in self.inputs.items()}

    def window_gaze(self, w: int) -> NormalizedGaze:
        """The normalised gaze of window ``w`` alone (arrays (T, ...), views of the batch)."""
        n = self.norm
        return NormalizedGaze(n.gaze[w], n.gaze2d[w], n.mask[w], n.gaze2d_mask[w], n.channel_mask[w])


def to_gaze_track(gaze: GazeInput, source: str = "<rows>") -> tuple[GazeTrack, dict[str, int]]:
    """Any accepted gaze input -> a time-sorted GazeTrack and a count of what was dropped/reordered.

    Rows (mappings or :class:`GazeRows`) are sorted by timestamp (counted in ``reordered``);
    repeated timestamps keep the first row (``duplicates``). A path goes through the strict file
    reader :func:`skillsight.data.readers.aria.read_gaze_csv`.

    Raises:
        DataFormatError: no rows, unknown layout, or a file the reader refuses.
    """
    from skillsight.data.readers.aria import read_gaze_csv

    counts = {"rows": 0, "nan_rows": 0, "bad_timestamp_rows": 0, "reordered": 0, "duplicates": 0}
    if isinstance(gaze, (str, Path)):
        track = read_gaze_csv(gaze)
        counts["rows"] = len(track)
        return track, counts
    if isinstance(gaze, GazeTrack):
        if len(gaze) == 0:
            raise DataFormatError(gaze.source or source, "", 0, "no gaze rows")
        counts["rows"] = len(gaze)
        return gaze, counts
    rows = gaze if isinstance(gaze, GazeRows) else GazeRowParser(source=source).parse(gaze)
    counts.update(
        rows=len(rows) + rows.bad_timestamp_rows,
        nan_rows=rows.nan_rows,
        bad_timestamp_rows=rows.bad_timestamp_rows,
    )
    if len(rows) == 0:
        raise DataFormatError(source, "", 0, "no gaze rows with a timestamp")
    ts = rows.timestamps_us
    order = np.argsort(ts, kind="stable")
    counts["reordered"] = int((order != np.arange(len(ts))).sum())
    ts_sorted = ts[order]
    keep = np.ones(len(ts), dtype=bool)
    keep[1:] = np.diff(ts_sorted) > 0
    counts["duplicates"] = int((~keep).sum())
    idx = order[keep]
    track = GazeTrack(
        timestamps_us=ts[idx],
        yaw_rad=rows.yaw_rad[idx],
        pitch_rad=rows.pitch_rad[idx],
        depth_m=rows.depth_m[idx],
        depth_valid=rows.depth_valid[idx],
        layout="rows",
        source=source,
    )
    return track, counts


def _steps(samples: GazeSamples, lo: int, hi: int) -> GazeSamples:
    """Steps ``lo:hi`` of a GazeSamples (every per-step array sliced, the rest kept)."""
    per_step = {
        f.name: getattr(samples, f.name)[lo:hi] for f in fields(samples) if f.name not in _NOT_PER_STEP
    }
    return replace(samples, **per_step)


_NOT_PER_STEP = frozenset({"image_size_px", "has_trajectory"})


def window_starts(first_us: int, last_us: int, spec: ServingSpec, hop_us: int) -> np.ndarray:
    """(W,) int64 starts of the windows of a recording spanning ``[first_us, last_us]`` (module rule)."""
    if hop_us < 1:
        raise ConfigError(f"hop must be at least 1 us, got {hop_us}")
    last_offset = int(spec.step_offsets_us[-1])
    count = max(0, (int(last_us) - last_offset - int(first_us)) // int(hop_us) + 1)
    return int(first_us) + int(hop_us) * np.arange(max(count, 1), dtype=np.int64)


def _trajectory(trajectory: Trajectory | str | Path | None) -> Trajectory | None:
    if trajectory is None or isinstance(trajectory, Trajectory):
        return trajectory
    from skillsight.data.readers.aria import read_trajectory_csv

    return read_trajectory_csv(trajectory)


def _calibration(calibration: DeviceCalibration | str | Path | None) -> DeviceCalibration | None:
    if calibration is None or isinstance(calibration, DeviceCalibration):
        return calibration
    from skillsight.data.readers.aria import read_device_calibration

    return read_device_calibration(calibration)


class SkillEstimator:
    """A deployed gaze-only skill model: backend + serving spec.

    Args:
        backend: the model runtime (:class:`OnnxBackend` or :class:`TorchBackend`).
        spec: window protocol and classes (must be servable from Aria gaze rows).
        scenario: scenario name, required when the model takes a ``scenario`` input.
        min_valid_fraction: windows with fewer observed gaze steps are skipped (with the reason).
    """

    def __init__(
        self,
        backend: Backend,
        spec: ServingSpec,
        scenario: str | None = None,
        min_valid_fraction: float = 0.5,
    ) -> None:
        spec.check_servable(spec.model_name)
        if not 0.0 <= min_valid_fraction <= 1.0:
            raise ConfigError(f"min_valid_fraction must be in [0, 1], got {min_valid_fraction}")
        self.scenario_id: int | None = None
        if "scenario" in spec.input_names:
            if scenario not in SCENARIOS:
                raise ConfigError(
                    f"model {spec.model_name!r} needs scenario= one of {list(SCENARIOS)}, got {scenario!r}"
                )
            self.scenario_id = SCENARIOS.index(scenario)
        self.backend, self.spec = backend, spec
        self.min_valid_steps = max(1, math.ceil(min_valid_fraction * spec.num_steps))

    @classmethod
    def from_run(
        cls, run_dir: str | Path, backend: str = "auto", intra_op_threads: int = 1, **kwargs: Any
    ) -> SkillEstimator:
        """Load a run folder; ``backend`` "auto" (onnxruntime when installed), "onnx" or "torch".

        ``intra_op_threads``: onnxruntime threads per operator (1 by default: a window is small and
        a multi-thread pool collapses on a loaded CPU; 0 = all cores).
        """
        from skillsight.runs.checkpoint import load_model

        model = load_model(Path(run_dir) / "model")
        spec = spec_from_run(run_dir, model)
        return cls(make_run_backend(model, run_dir, spec, backend, intra_op_threads), spec, **kwargs)

    @classmethod
    def from_onnx(cls, path: str | Path, intra_op_threads: int = 1, **kwargs: Any) -> SkillEstimator:
        """Load an exported ONNX file, float or int8 (its metadata holds the serving spec)."""
        backend = OnnxBackend.load(path, f"loaded from {path}", intra_op_threads)
        if "normalisation" not in backend.metadata:
            raise ConfigError(f"{path}: no 'normalisation' metadata; export it with `skillsight export RUN`")
        return cls(backend, ServingSpec.from_metadata(backend.metadata["normalisation"], str(path)), **kwargs)

    @classmethod
    def from_model(cls, model: Any, spec: ServingSpec, **kwargs: Any) -> SkillEstimator:
        """Serve an in-memory model with PyTorch."""
        return cls(TorchBackend(model), spec, **kwargs)

    @property
    def class_names(self) -> tuple[str, ...]:
        """One name per class, in logit order."""
        return self.spec.class_names

    def warmup(self, runs: int = 2) -> None:
        """Run the model on zero inputs so the first real window does not pay one-off set-up costs."""
        T, C = self.spec.num_steps, self.spec.gaze_channels
        zeros = {
            "gaze": np.zeros((1, T, C), np.float32),
            "gaze_mask": np.ones((1, T), bool),
            "gaze_channel_mask": np.ones((1, T, C), bool),
            "gaze2d": np.full((1, T, 2), 0.5, np.float32),
            "gaze2d_mask": np.ones((1, T), bool),
            "scenario": np.array([self.scenario_id or 0], np.int64),
        }
        for _ in range(runs):
            self.backend.logits({n: zeros[n] for n in self.spec.input_names})

    def window_inputs(
        self,
        gaze: GazeTrack,
        start_us: int,
        trajectory: Trajectory | None = None,
        calibration: DeviceCalibration | None = None,
    ) -> tuple[dict[str, np.ndarray], Any, Any]:
        """Model inputs (batch 1) of the window at ``start_us``, with its raw samples and normalised gaze."""
        return self.windows_inputs(gaze, np.array([start_us]), trajectory, calibration)[0]

    def windows_inputs(
        self,
        gaze: GazeTrack,
        starts_us: np.ndarray,
        trajectory: Trajectory | None = None,
        calibration: DeviceCalibration | None = None,
    ) -> list[tuple[dict[str, np.ndarray], Any, Any]]:
        """:meth:`window_inputs` of many windows: (inputs, raw samples, normalised gaze) per window.

        Built from :meth:`prepare_windows` (one resampling and one normalisation pass for all
        windows); each window's arrays are views of the batch.
        """
        batch = self.prepare_windows(gaze, starts_us, trajectory, calibration)
        T = self.spec.num_steps
        return [
            (batch.window_inputs(w), _steps(batch.samples, w * T, (w + 1) * T), batch.window_gaze(w))
            for w in range(batch.num_windows)
        ]

    def prepare_windows(
        self,
        gaze: GazeTrack,
        starts_us: np.ndarray,
        trajectory: Trajectory | None = None,
        calibration: DeviceCalibration | None = None,
    ) -> PreparedWindows:
        """Model inputs of W windows in ONE resampling and ONE normalisation pass.

        The raw samples of every step of every window come from one :func:`gaze_samples_at` call on
        the (W * T,) step times (it works time by time, so each window gets the same numbers as from
        a call of its own); :func:`normalize_windows_gaze` then normalises each window relative to
        itself, the same arithmetic as a training clip (:func:`normalize_clip_gaze` is that function
        on a batch of one).
        """
        starts = np.asarray(starts_us, dtype=np.int64).reshape(-1)  # (W,)
        T = self.spec.num_steps
        query_us = (starts[:, None] + self.spec.step_offsets_us[None, :]).reshape(-1)  # (W * T,)
        every_step = gaze_samples_at(
            gaze,
            query_us,
            trajectory,
            None,
            calibration,
            default_depth_m=self.spec.default_depth_m,
            max_gap_us=self.spec.max_gap_us,
        )
        norm = normalize_windows_gaze(every_step, T, far_clip_m=self.spec.far_clip_m)
        arrays = {
            "gaze": norm.gaze,
            "gaze_mask": norm.mask,
            "gaze_channel_mask": norm.channel_mask,
            "gaze2d": norm.gaze2d,
            "gaze2d_mask": norm.gaze2d_mask,
        }
        inputs = {n: arrays[n] for n in self.spec.input_names if n in arrays}  # (W, ...)
        if self.scenario_id is not None:
            inputs["scenario"] = np.full(starts.shape[0], self.scenario_id, dtype=np.int64)
        pose_steps = np.asarray(every_step.pose_valid, bool).reshape(-1, T).sum(axis=1)  # (W,)
        return PreparedWindows(starts, inputs, every_step, norm, norm.mask.sum(axis=1), pose_steps)

    def predict_window(
        self,
        gaze: GazeTrack,
        start_us: int,
        trajectory: Trajectory | None = None,
        calibration: DeviceCalibration | None = None,
    ) -> WindowPrediction:
        """Estimate (or skip, with the reason) the window starting at ``start_us``."""
        t0 = time.perf_counter()
        batch = self.prepare_windows(gaze, np.array([start_us]), trajectory, calibration)
        return self._predict(batch, 0, (time.perf_counter() - t0) * 1e3)

    def _predict(self, batch: PreparedWindows, w: int, prep_ms: float) -> WindowPrediction:
        T = self.spec.num_steps
        start_us = int(batch.starts_us[w])
        valid, pose = int(batch.valid_steps[w]), int(batch.pose_steps[w])
        base: dict[str, Any] = {
            "start_us": start_us,
            "end_us": start_us + self.spec.window_us,
            "preprocess_ms": prep_ms,
            "valid_steps": valid,
            "pose_steps": pose,
            "num_steps": T,
        }
        if valid < self.min_valid_steps:
            reason = f"{valid}/{T} steps have gaze, {self.min_valid_steps} needed"
            return WindowPrediction(probabilities=None, label=None, latency_ms=0.0, skipped=reason, **base)
        t1 = time.perf_counter()
        logits = self.backend.logits(batch.window_inputs(w))[0].astype(np.float64)  # (C,)
        latency_ms = (time.perf_counter() - t1) * 1e3
        if logits.shape != (len(self.class_names),) or not np.isfinite(logits).all():
            raise DataFormatError(
                self.spec.model_name,
                "logits",
                logits.tolist(),
                f"expected {len(self.class_names)} finite logits",
            )
        exp = np.exp(logits - logits.max())
        probs = exp / exp.sum()
        return WindowPrediction(
            probabilities=probs, label=self.class_names[int(probs.argmax())], latency_ms=latency_ms, **base
        )

    def predict_windows(
        self,
        gaze: GazeInput,
        trajectory: Trajectory | str | Path | None = None,
        calibration: DeviceCalibration | str | Path | None = None,
        window_s: float | None = None,
        hop_s: float = 1.0,
    ) -> list[WindowPrediction]:
        """Estimates for every window of a recording (see the module docstring for which windows).

        Args:
            gaze: GazeTrack, gaze CSV path (any layout), parsed rows or a list of row mappings.
            trajectory: Trajectory or closed-loop trajectory CSV; None -> static head.
            calibration: DeviceCalibration or calibration JSON; None -> CAD ``T_device_cpf``.
            window_s: must equal the model's window (T steps; 8 s) when given; it is fixed by training.
            hop_s: seconds between window starts (1 / rate).
        """
        if window_s is not None and abs(window_s * 1e6 - self.spec.window_us) > 1:
            raise ConfigError(
                f"window_s={window_s} but {self.spec.model_name!r} was trained on "
                f"{self.spec.window_us / 1e6:g} s windows ({self.spec.num_steps} steps)"
            )
        if not hop_s > 0:
            raise ConfigError(f"hop_s must be > 0, got {hop_s}")
        track, _ = to_gaze_track(gaze)
        traj, calib = _trajectory(trajectory), _calibration(calibration)
        starts = window_starts(
            int(track.timestamps_us[0]), int(track.timestamps_us[-1]), self.spec, round(hop_s * 1e6)
        )
        t0 = time.perf_counter()
        batch = self.prepare_windows(track, starts, traj, calib)
        prep_ms = (time.perf_counter() - t0) * 1e3 / len(starts)  # each window's share of one batch
        return [self._predict(batch, w, prep_ms) for w in range(batch.num_windows)]
