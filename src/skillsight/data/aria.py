"""Project Aria MPS readers and writers (public entry point).

Re-exports the eye-gaze CSV reader/writer (:mod:`skillsight.data.aria_gaze`), the trajectory
CSV reader/writer and pose lookup (:mod:`skillsight.data.aria_trajectory`) and the device
calibration JSON reader/writer (:mod:`skillsight.data.aria_calibration`). Geometry lives in
:mod:`skillsight.gaze.geometry` and :mod:`skillsight.gaze.projection`; conventions are in
docs/aria_geometry.md.
"""

from __future__ import annotations

from skillsight.data.aria_calibration import (
    CAD_BUILD_VERSIONS,
    NOMINAL_RGB_FISHEYE624_PARAMS,
    RGB_CAMERA_LABEL,
    cad_T_cpf_sensor,
    cad_T_device_cpf,
    nominal_rgb_calibration,
    read_device_calibration,
    write_device_calibration_json,
)
from skillsight.data.aria_gaze import GAZE_LAYOUTS, detect_gaze_layout, read_gaze_csv, write_gaze_csv
from skillsight.data.aria_trajectory import (
    DEFAULT_MAX_GAP_US,
    TRAJECTORY_COLUMNS_20,
    pose_at,
    read_trajectory_csv,
    write_trajectory_csv,
)

__all__ = [
    "CAD_BUILD_VERSIONS",
    "DEFAULT_MAX_GAP_US",
    "GAZE_LAYOUTS",
    "NOMINAL_RGB_FISHEYE624_PARAMS",
    "RGB_CAMERA_LABEL",
    "TRAJECTORY_COLUMNS_20",
    "cad_T_cpf_sensor",
    "cad_T_device_cpf",
    "detect_gaze_layout",
    "nominal_rgb_calibration",
    "pose_at",
    "read_device_calibration",
    "read_gaze_csv",
    "read_trajectory_csv",
    "write_device_calibration_json",
    "write_gaze_csv",
    "write_trajectory_csv",
]
