"""The one format of a benchmark figure: ``name=VALUE ref=VALUE ratio=VALUE ref_kind=KIND [key=value ...]``.

Every benchmark script and ``skillsight bench`` command prints its figures through :func:`bench_line`,
so that a reader (or a script) always finds the figure, its reference, their ratio and where the
reference comes from:

* ``ref_kind=same_run``: the reference was measured in the same run, on the same machine and data
  (the fastest library, the majority baseline, the model without the ablated part);
* ``ref_kind=paper``: a figure reported by a paper, copied, not measured here;
* ``ref_kind=none``: no reference exists (``ref=n/a ratio=n/a``).

A paired claim (A better than B) prints its difference and interval with :func:`claim_line`, from a
:class:`~skillsight.evaluation.paired_stats.PairedDifference`.

>>> bench_line("student_latency_ms", 0.25, 0.20, ref_kind="same_run", ref_name="onnxruntime")
'student_latency_ms=0.25 ref=0.2 ratio=1.25 ref_kind=same_run ref_name=onnxruntime'
>>> bench_line("soccer_lopo_student_acc", 61.3, 72.6, ref_kind="paper", digits=3)
'soccer_lopo_student_acc=61.3 ref=72.6 ratio=0.844 ref_kind=paper'
"""

from __future__ import annotations

import math
from typing import Literal

from skillsight.evaluation.paired_stats import PairedDifference

__all__ = ["RefKind", "bench_line", "claim_line"]

RefKind = Literal["same_run", "paper", "none"]
_KINDS = ("same_run", "paper", "none")


def _number(value: float, digits: int) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}g}"


def bench_line(
    name: str,
    value: float,
    ref: float | None,
    *,
    ref_kind: RefKind,
    digits: int = 4,
    **extra: object,
) -> str:
    """One figure as ``name=VALUE ref=VALUE ratio=VALUE ref_kind=KIND`` plus ``key=value`` extras.

    Args:
        name: the figure's name (no spaces; units in the name, e.g. ``_ms``, ``_mw``, ``_acc``).
        value: the figure.
        ref: its reference, or None when ``ref_kind="none"``.
        ref_kind: ``same_run`` (measured in this run), ``paper`` (a reported figure) or ``none``.
        digits: significant digits of value, ref and ratio.
        **extra: further ``key=value`` fields (floats get ``digits`` significant digits).

    Returns:
        The line, without a newline.

    Raises:
        ValueError: on an unknown ``ref_kind``, a missing reference, a reference given with
            ``ref_kind="none"`` or a name with white space.
    """
    if ref_kind not in _KINDS:
        raise ValueError(f"ref_kind must be one of {_KINDS}; got {ref_kind!r}")
    if (ref is None) != (ref_kind == "none"):
        raise ValueError(f"{name}: ref={ref!r} does not fit ref_kind={ref_kind!r}")
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"figure name {name!r} must be non-empty without white space")
    ratio = value / ref if ref else float("nan")
    fields = [
        f"{name}={_number(value, digits)}",
        f"ref={_number(ref, digits) if ref is not None else 'n/a'}",
        f"ratio={_number(ratio, digits)}",
        f"ref_kind={ref_kind}",
    ]
    for key, item in extra.items():
        shown = _number(item, digits) if isinstance(item, float) else str(item)
        fields.append(f"{key}={shown.replace(' ', '_')}")
    return " ".join(fields)


def claim_line(prefix: str, difference: PairedDifference, digits: int = 3) -> str:
    """A paired claim as ``claim_<prefix>_<A>_vs_<B>=DIFF ci95=[LO,HI] runs=K/N n=UNITS verdict=...``.

    Args:
        prefix: the benchmark (e.g. ``skillsight_table1``).
        difference: the paired difference of A and B with its interval.
        digits: decimals of the difference and the interval.

    Returns:
        The line, without a newline.
    """
    d = difference
    level = round(d.confidence * 100)
    return (
        f"claim_{prefix}_{d.name_a}_vs_{d.name_b}={d.difference:+.{digits}f} "
        f"ci{level}=[{d.ci_low:+.{digits}f},{d.ci_high:+.{digits}f}] runs={d.runs_better}/{d.n_runs} "
        f"n={d.n_units} verdict={d.verdict.replace(' ', '_')}"
    )
