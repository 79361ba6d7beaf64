"""Factory (CAD) sensor poses of Aria Gen1 glasses and the Central Pupil Frame they define.

projectaria_tools keeps a per-build table of sensor poses in the CPF (``T_cpf_sensor``); the device
frame is the origin sensor's frame, so ``T_device_cpf = inverse(T_cpf_sensor[origin_label])``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from skillsight.exceptions import DataFormatError

__all__ = ["CAD_BUILD_VERSIONS", "cad_T_cpf_sensor", "cad_T_device_cpf"]

# CAD sensor poses in the CPF per Aria Gen1 build (values from projectaria_tools'
# DeviceCadExtrinsics). Each row: label, translation xyz [m], unit Y axis, unit Z axis (X = Y x Z).
_CAD_ROWS = {
    "DVT-S": """
camera-slam-left, 0.069051, 0.002372, 0.009254, 0.793353, 0.0, -0.608761, 0.607927, -0.052336, 0.792266
camera-slam-right, -0.069051, 0.002372, 0.009254, 0.793353, 0.0, 0.608761, -0.607927, -0.052336, 0.792266
camera-rgb, 0.056000, 0.007121, 0.012883, 1.0, 0.0, 0.0, 0.0, -0.130526, 0.991445
camera-et-left, 0.054298, -0.018500, 0.006210, 0.034478, -0.508118, -0.860597, -0.674245, 0.623794, -0.395316
camera-et-right, -0.054298, -0.018500, 0.006210, -0.034478, -0.508118, -0.860597, 0.674245, 0.623794, -0.395316
""",  # noqa: E501 (one CAD pose per row; splitting a row would hide the table)
    "DVT-L": """
camera-slam-left, 0.071351, 0.002372, 0.008454, 0.793353, 0.0, -0.608761, 0.607927, -0.052336, 0.792266
camera-slam-right, -0.071351, 0.002372, 0.008454, 0.793353, 0.0, 0.608761, -0.607927, -0.052336, 0.792266
camera-rgb, 0.058250, 0.007186, 0.012096, 1.0, 0.0, 0.0, 0.0, -0.130526, 0.991445
camera-et-left, 0.055753, -0.019589, 0.004786, 0.034096, -0.508436, -0.860424, -0.674299, 0.623745, -0.395300
camera-et-right, -0.055753, -0.019589, 0.004786, -0.034096, -0.508436, -0.860424, 0.674299, 0.623745, -0.395300
""",  # noqa: E501 (one CAD pose per row)
}


_CAD_TABLES: dict[str, dict[str, np.ndarray]] = {
    build: {
        row.split(",")[0].strip(): np.array([float(v) for v in row.split(",")[1:]])  # (9,)
        for row in rows.strip().splitlines()
    }
    for build, rows in _CAD_ROWS.items()
}


CAD_BUILD_VERSIONS: tuple[str, ...] = tuple(_CAD_TABLES)


def cad_T_cpf_sensor(build_version: str, label: str, source: str | Path = "<cad>") -> np.ndarray:
    """CAD pose (4, 4) of a sensor in the CPF for an Aria Gen1 build ("DVT-S" or "DVT-L")."""
    table = _CAD_TABLES.get(build_version)
    if table is None:
        known = list(_CAD_TABLES)
        raise DataFormatError(
            source,
            "DeviceClassInfo.BuildVersion",
            build_version,
            f"no CAD extrinsics for this build ({known})",
        )
    if label not in table:
        reason = f"no CAD pose for this sensor; known: {sorted(table)}"
        raise DataFormatError(source, "sensor label", label, reason)
    t, y_axis, z_axis = table[label][0:3], table[label][3:6], table[label][6:9]
    y_axis = y_axis / np.linalg.norm(y_axis)
    z_axis = z_axis / np.linalg.norm(z_axis)
    T = np.eye(4)
    T[:3, :3] = np.stack([np.cross(y_axis, z_axis), y_axis, z_axis], axis=1)
    T[:3, 3] = t
    return T


def cad_T_device_cpf(
    build_version: str = "DVT-S", origin_label: str = "camera-slam-left", source: str | Path = "<cad>"
) -> np.ndarray:
    """``T_device_cpf = inverse(T_cpf_sensor[origin_label])`` (4, 4), as projectaria_tools derives it."""
    T = cad_T_cpf_sensor(build_version, origin_label, source)
    out = np.eye(4)
    out[:3, :3] = T[:3, :3].T
    out[:3, 3] = -T[:3, :3].T @ T[:3, 3]
    return out
