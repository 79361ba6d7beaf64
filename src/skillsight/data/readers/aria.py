"""Project Aria MPS readers and writers (public entry point).

Re-exports the eye-gaze CSV reader/writer (:mod:`skillsight.data.readers.aria_gaze`), the trajectory
CSV reader/writer and pose lookup (:mod:`skillsight.data.readers.aria_trajectory`) and the device
calibration JSON reader/writer (:mod:`skillsight.data.readers.aria_calibration`). Geometry lives in
:mod:`skillsight.gaze.geometry` and :mod:`skillsight.gaze.projection`; conventions are in
docs/aria_geometry.md.
"""

from __future__ import annotations

from skillsight.data.readers.aria_calibration import (
    NOMINAL_RGB_FISHEYE624_PARAMS,
    RGB_CAMERA_LABEL,
    nominal_rgb_calibration,
    read_device_calibration,
    write_device_calibration_json,
)
from skillsight.data.readers.aria_gaze import GAZE_LAYOUTS, detect_gaze_layout, read_gaze_csv, write_gaze_csv
from skillsight.data.readers.aria_trajectory import (
    TRAJECTORY_COLUMNS_20,
    read_trajectory_csv,
    write_trajectory_csv,
)
from skillsight.gaze.aria_cad import CAD_BUILD_VERSIONS, cad_T_cpf_sensor, cad_T_device_cpf
from skillsight.gaze.poses import DEFAULT_MAX_GAP_US, pose_at

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
