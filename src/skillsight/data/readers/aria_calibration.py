"""Project Aria device calibration JSON: read what gaze projection needs, write a minimal file.

The JSON is the one projectaria_tools exports (``CameraCalibrations`` with ``T_Device_Camera``
``{"Translation": [x, y, z], "UnitQuaternion": [w, [x, y, z]]}``, ``DeviceClassInfo.BuildVersion``,
``OriginSpecification.ChildLabel``).

Extrinsics convention (matches projectaria_tools 2.3.0, checked against its golden values):

* ``T_device_camera``: the *calibrated* extrinsics stored in the JSON (``extrinsics="calibrated"``,
  the default), or the factory/CAD ones (``extrinsics="cad"``) that newer projectaria_tools uses for
  gaze projection; the two differ by 5-11 px in the RGB image.
* ``T_device_cpf``: always from CAD. projectaria_tools keeps a per-build table of sensor poses in
  the CPF (``T_cpf_sensor``); the device frame is the origin sensor's frame, so
  ``T_device_cpf = inverse(T_cpf_sensor[origin_label])``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np

from skillsight.exceptions import DataFormatError
from skillsight.gaze.aria_cad import CAD_BUILD_VERSIONS, cad_T_cpf_sensor, cad_T_device_cpf
from skillsight.gaze.geometry import matrix_to_quat_xyzw, pose_matrices
from skillsight.gaze.tracks import DeviceCalibration, Fisheye624Camera

__all__ = [
    "CAD_BUILD_VERSIONS",
    "NOMINAL_RGB_FISHEYE624_PARAMS",
    "RGB_CAMERA_LABEL",
    "cad_T_cpf_sensor",
    "cad_T_device_cpf",
    "nominal_rgb_calibration",
    "read_device_calibration",
    "write_device_calibration_json",
]

RGB_CAMERA_LABEL = "camera-rgb"
_FISHEYE_NAMES = ("FisheyeRadTanThinPrism", "Fisheye624")
_FISHEYE_DESCRIPTION = "fx, cx, cy, k_0, k_1, k_2, k_3, k_4, k_5, p_0, p_1, s_0, s_1, s_2, s_3"


#: Fisheye624 parameters typical of an Aria Gen1 RGB camera at 1408 x 1408 px (rounded from a
#: real device calibration; the principal point varies by ~15 px between devices).
NOMINAL_RGB_FISHEYE624_PARAMS: tuple[float, ...] = (
    607.0, 718.5, 703.0,  # f, cx, cy
    0.405, -0.496, 0.2367, 0.995, -1.574, 0.6087,  # k0..k5
    -3.7e-4, -7.4e-4,  # p0, p1
    -5.8e-4, -2.2e-4, 1.9e-4, -2.0e-4,  # s0..s3
)  # fmt: skip


def nominal_rgb_calibration(
    build_version: str = "DVT-S", params: np.ndarray | None = None, size_px: int = 1408
) -> DeviceCalibration:
    """An Aria-like RGB calibration: CAD extrinsics of ``build_version`` and nominal intrinsics.

    For synthetic data and tests; it round-trips through :func:`write_device_calibration_json`.

    Args:
        build_version: "DVT-S" or "DVT-L" (selects the CAD table).
        params: (15,) Fisheye624 parameters (default :data:`NOMINAL_RGB_FISHEYE624_PARAMS`).
        size_px: square image size in pixels.
    """
    T_device_cpf = cad_T_device_cpf(build_version)
    T_device_camera = T_device_cpf @ cad_T_cpf_sensor(build_version, RGB_CAMERA_LABEL)
    p = np.asarray(NOMINAL_RGB_FISHEYE624_PARAMS if params is None else params, dtype=np.float64)
    camera = Fisheye624Camera(params=p, width_px=size_px, height_px=size_px, label=RGB_CAMERA_LABEL)
    return DeviceCalibration(T_device_cpf, T_device_camera, camera, source="<nominal>")


def _get(obj: Any, key: str, source: Path, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DataFormatError(source, f"{where}.{key}" if where else key, None, "missing key")
    return obj[key]


def _pose_from_json(pose: Any, source: Path, where: str) -> np.ndarray:
    translation = _get(pose, "Translation", source, where)
    try:
        t = np.asarray(translation, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataFormatError(
            source, f"{where}.Translation", translation, "expected [x, y, z] numbers"
        ) from None
    q = _get(pose, "UnitQuaternion", source, where)
    try:
        if not isinstance(q, list) or len(q) != 2 or isinstance(q[0], bool):
            raise TypeError("not [w, [x, y, z]]")
        w, xyz = float(q[0]), np.asarray(q[1], dtype=np.float64)
        q_xyzw = np.array([xyz[0], xyz[1], xyz[2], w])
        if xyz.shape != (3,):
            raise ValueError("xyz is not 3 numbers")
    except (TypeError, IndexError, ValueError, KeyError) as err:
        raise DataFormatError(source, f"{where}.UnitQuaternion", q, "expected [w, [x, y, z]]") from err
    if t.shape != (3,) or not np.all(np.isfinite(t)) or not np.all(np.isfinite(q_xyzw)):
        raise DataFormatError(source, where, pose, "translation needs 3 finite numbers, the quaternion 4")
    if abs(np.linalg.norm(q_xyzw) - 1.0) > 1e-3:
        raise DataFormatError(source, f"{where}.UnitQuaternion", q, "quaternion is not unit length")
    return pose_matrices(t, q_xyzw)


def _image_size(config: Any, key: str, source: Path, where: str) -> int:
    value = _get(config, key, source, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value <= 0:
        raise DataFormatError(source, f"{where}.{key}", value, "expected a positive whole number of pixels")
    return int(value)


def read_device_calibration(
    path: str | Path,
    camera_label: str = RGB_CAMERA_LABEL,
    extrinsics: Literal["calibrated", "cad"] = "calibrated",
) -> DeviceCalibration:
    """Read an Aria device calibration JSON into a :class:`DeviceCalibration`.

    Args:
        path: the JSON file.
        camera_label: camera to keep (the RGB camera, "camera-rgb", by default).
        extrinsics: "calibrated" (the JSON's ``T_Device_Camera``, what projectaria_tools 2.3.0 uses)
            or "cad" (factory extrinsics of the build, expressed in the device frame).

    Raises:
        DataFormatError: unreadable or non-UTF-8 JSON, missing camera or keys, a non-Fisheye624
            model, non-finite parameters, an image size that is not a positive whole number, a pose
            that is not ``{"Translation": [x, y, z], "UnitQuaternion": [w, [x, y, z]]}``, an unknown
            build version or origin label.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        bad = err.object[err.start : err.start + 8]
        raise DataFormatError(
            path, "", bad, f"calibration JSON is not UTF-8 text (byte {err.start})"
        ) from None
    except (OSError, json.JSONDecodeError) as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read calibration JSON") from err
    cams = _get(doc, "CameraCalibrations", path, "")
    if not isinstance(cams, list):
        raise DataFormatError(path, "CameraCalibrations", type(cams).__name__, "expected a list of cameras")
    labels = [c.get("Label") if isinstance(c, dict) else None for c in cams]
    if camera_label not in labels:
        reason = f"camera not in file; labels present: {labels}"
        raise DataFormatError(path, "CameraCalibrations.Label", camera_label, reason)
    cam = cams[labels.index(camera_label)]
    where = f"CameraCalibrations[{camera_label}]"
    proj = _get(cam, "Projection", path, where)
    name = _get(proj, "Name", path, f"{where}.Projection")
    if name not in _FISHEYE_NAMES:
        raise DataFormatError(
            path, f"{where}.Projection.Name", name, f"only {list(_FISHEYE_NAMES)} supported"
        )
    raw_params = _get(proj, "Params", path, f"{where}.Projection")
    try:
        params = np.asarray(raw_params, dtype=np.float64)
    except (TypeError, ValueError):
        params = np.full(0, np.nan)
    if params.shape != (15,) or not np.all(np.isfinite(params)):
        reason = "expected 15 finite Fisheye624 parameters"
        raise DataFormatError(path, f"{where}.Projection.Params", raw_params, reason)
    config = _get(cam, "ConfigData", path, where)
    width = _image_size(config, "ImageWidth", path, f"{where}.ConfigData")
    height = _image_size(config, "ImageHeight", path, f"{where}.ConfigData")
    build = str(_get(_get(doc, "DeviceClassInfo", path, ""), "BuildVersion", path, "DeviceClassInfo"))
    origin = str(_get(_get(doc, "OriginSpecification", path, ""), "ChildLabel", path, "OriginSpecification"))
    T_device_cpf = cad_T_device_cpf(build, origin, path)
    if extrinsics == "calibrated":
        pose = _get(cam, "T_Device_Camera", path, where)
        T_device_camera = _pose_from_json(pose, path, f"{where}.T_Device_Camera")
    elif extrinsics == "cad":
        T_device_camera = T_device_cpf @ cad_T_cpf_sensor(build, camera_label, path)
    else:
        raise ValueError(f"extrinsics must be 'calibrated' or 'cad', got {extrinsics!r}")
    camera = Fisheye624Camera(params=params, width_px=width, height_px=height, label=camera_label)
    return DeviceCalibration(T_device_cpf, T_device_camera, camera, source=str(path))


def write_device_calibration_json(
    path: str | Path,
    calib: DeviceCalibration,
    build_version: str = "DVT-S",
    origin_label: str = "camera-slam-left",
    atol: float = 1e-6,
) -> None:
    """Write a minimal Aria calibration JSON (same schema as the MPS export) for one RGB camera.

    ``T_device_cpf`` is not stored in the format (readers derive it from CAD), so it must equal
    :func:`cad_T_device_cpf` of ``build_version``/``origin_label``; build synthetic calibrations
    with that value.

    Raises:
        ValueError: ``calib.T_device_cpf`` differs from the CAD value by more than ``atol``.
    """
    expected = cad_T_device_cpf(build_version, origin_label)
    if not np.allclose(np.asarray(calib.T_device_cpf), expected, atol=atol):
        raise ValueError(
            "T_device_cpf is derived from CAD in this format and must equal "
            f"cad_T_device_cpf({build_version!r}, {origin_label!r}); got a different pose"
        )
    T = np.asarray(calib.T_device_camera, dtype=np.float64)
    q = matrix_to_quat_xyzw(T[:3, :3])
    cam = calib.camera
    camera_json = {
        "Calibrated": True,
        "ConfigData": {
            "ImageHeight": int(cam.height_px),
            "ImageWidth": int(cam.width_px),
            "MaxSolidAngle": 1.0,
            "ValidRadius": (min(cam.width_px, cam.height_px) + 7) / 2.0,
        },
        "Label": cam.label,
        "Projection": {
            "Description": _FISHEYE_DESCRIPTION,
            "Name": "FisheyeRadTanThinPrism",
            "Params": [float(v) for v in np.asarray(cam.params, dtype=np.float64)],
        },
        "SerialNumber": "",
        "T_Device_Camera": {
            "Translation": [float(v) for v in T[:3, 3]],
            "UnitQuaternion": [float(q[3]), [float(q[0]), float(q[1]), float(q[2])]],
        },
    }
    doc = {
        "AlgorithmName": "skillsight",
        "AlgorithmVersion": "1",
        "CalibrationSource": "Synthetic",
        "CameraCalibrations": [camera_json],
        "DeviceClassInfo": {"BuildVersion": build_version, "DeviceClass": "Aria"},
        "ImuCalibrations": [],
        "OriginSpecification": {"ChildLabel": origin_label, "Type": "Custom"},
        "Serial": "",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
