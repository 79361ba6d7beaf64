"""``skillsight stream``: replay a gaze recording (or rows from stdin), printing an estimate per window."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["HELP", "stream_command"]

HELP = (
    "Stream gaze rows (file replay or stdin) through a model; one line per window with its latency and the "
    "running estimate over the recording so far."
)
console = Console(soft_wrap=True)


def stream_command(
    gaze: Path | None = typer.Option(None, "--gaze", help="MPS eye-gaze CSV (any layout) to replay"),
    trajectory: Path | None = typer.Option(None, "--trajectory", help="closed-loop trajectory CSV"),
    calibration: Path | None = typer.Option(None, "--calibration", help="device calibration JSON"),
    run: Path | None = typer.Option(None, "--run", help="run folder of the model"),
    onnx: Path | None = typer.Option(None, "--onnx", help="exported ONNX file (instead of --run)"),
    backend: str = typer.Option("auto", "--backend", help="with --run: auto | onnx | torch"),
    rate: float = typer.Option(1.0, "--rate", help="estimates per second (hop = 1 / rate)"),
    stdin: bool = typer.Option(
        False, "--stdin", help="read CSV rows (header first) from stdin as they arrive"
    ),
    realtime: bool = typer.Option(False, "--realtime/--no-realtime", help="replay at the recorded pace"),
    scenario: str | None = typer.Option(None, "--scenario", help="scenario name, for models that take one"),
    min_valid: float = typer.Option(0.5, "--min-valid", help="fraction of steps with gaze a window needs"),
    reorder_ms: float = typer.Option(
        200.0, "--reorder-tolerance-ms", help="late rows within this are reordered"
    ),
    threads: int = typer.Option(
        1, "--threads", help="onnxruntime threads per operator (1: steadiest on a busy CPU; 0: all cores)"
    ),
) -> None:
    """Print one line per window (estimate or SKIPPED with the reason) with the running estimate over the
    recording so far (the windows' logits averaged, as a take is scored offline), then a summary."""
    import numpy as np  # here, so that `skillsight --help` does not pay for it

    from skillsight.data.readers.aria import read_device_calibration, read_trajectory_csv
    from skillsight.data.take_warnings import NO_TRAJECTORY
    from skillsight.deploy.gaze_rows import iter_csv_rows
    from skillsight.deploy.inference import SkillEstimator
    from skillsight.deploy.running_estimate import RunningEstimate
    from skillsight.deploy.streaming import GazeStream, paced
    from skillsight.exceptions import ConfigError

    if (run is None) == (onnx is None):
        raise ConfigError("give exactly one of --run RUN or --onnx PATH")
    if stdin == (gaze is not None):
        raise ConfigError("give exactly one of --gaze FILE or --stdin")
    if not rate > 0:
        raise ConfigError(f"--rate must be > 0, got {rate}")
    kwargs = {"scenario": scenario, "min_valid_fraction": min_valid}
    if run is not None:
        est = SkillEstimator.from_run(run, backend=backend, intra_op_threads=threads, **kwargs)
    else:
        assert onnx is not None  # exactly one of --run / --onnx, checked above
        est = SkillEstimator.from_onnx(onnx, intra_op_threads=threads, **kwargs)
    est.warmup()
    traj = read_trajectory_csv(trajectory) if trajectory is not None else None
    calib = read_device_calibration(calibration) if calibration is not None else None
    source = "stdin" if stdin else str(gaze)
    spec = est.spec
    console.print(
        f"model {spec.model_name} ({est.backend.name}: {est.backend.note}); "
        f"window {spec.window_us / 1e6:g} s "
        f"= {spec.num_steps} steps, hop {1 / rate:g} s; source {source}",
        highlight=False,
    )
    stream = GazeStream(
        est,
        hop_s=1.0 / rate,
        trajectory=traj,
        calibration=calib,
        reorder_tolerance_s=reorder_ms / 1e3,
        source=source,
    )
    if traj is None:
        console.print(f"note: no --trajectory: {NO_TRAJECTORY}", highlight=False)
    if calib is None:
        console.print(
            "note: no --calibration: the Aria factory CPF pose is used (and 2D gaze is not projected)",
            highlight=False,
        )
    # stdin as text that never raises on bad bytes: a junk line becomes a counted bad row
    text_in = (
        io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="") if stdin else None
    )
    source_in = text_in if text_in is not None else gaze
    assert source_in is not None  # exactly one of --gaze / --stdin, checked above
    rows = iter_csv_rows(source_in)
    latencies: list[float] = []
    running = RunningEstimate(est.class_names)
    shown_notes = 0
    for row in paced(rows, realtime and not stdin):
        for pred in stream.push(row):
            _print(pred, est.class_names, latencies, running)
        if len(stream.notes) > shown_notes:
            for note in stream.notes[shown_notes:]:
                console.print(f"note: {note}", highlight=False, soft_wrap=True)
            shown_notes = len(stream.notes)
    for pred in stream.close():
        _print(pred, est.class_names, latencies, running)
    console.print(f"summary: {stream.stats.format()}", highlight=False)
    console.print(running.format().replace("so far", "over the whole stream"), highlight=False)
    if latencies:
        lat = np.asarray(latencies)
        console.print(
            f"inference latency ms: mean {lat.mean():.3f} median {np.median(lat):.3f} "
            f"p95 {np.percentile(lat, 95):.3f} max {lat.max():.3f}",
            highlight=False,
        )


def _print(pred, class_names, latencies: list[float], running) -> None:
    running.add(pred.probabilities if pred.skipped is None else None)
    console.print(f"{pred.format(class_names)}  | {running.format()}", highlight=False, soft_wrap=True)
    if pred.skipped is None:
        latencies.append(pred.latency_ms)
