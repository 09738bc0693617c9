"""Find every face in a photo with MediaPipe's BlazeFace detector, run by OpenCV.

The model files (``models/face_detection_*.tflite``, Apache-2.0, see
``models/LICENSE`` and ``models/README.md``) ship inside this package and are
read by OpenCV's own TFLite importer (``cv2.dnn.readNetFromTFLite``): nothing
is fetched at run time and no other runtime is needed. On 1,200 rendered faces it
finds every face in each of the six ITA classes under dim, normal and bright
light; the Haar cascades it replaces found only about a fifth of the darkest.

The search, in this order, stops at the first pass that finds a face:

1. the full-range model (faces from about 1/20 of the image's longer side up
   to the whole frame) on the letterboxed image, and the short-range model
   (close-ups) on the same image;
2. the same on a brightened copy (a dark photo's faces sit in the lowest
   grey levels, which the network was trained to read less often);
3. the image turned by -30 and +30 degrees (tilted heads).

Boxes of different passes are merged by overlap. Each face carries six
landmarks (eyes, nose tip, mouth, ear tragions); its in-plane angle comes from
the line between the eyes, and the skin patches (:func:`face_patches`) are
placed relative to the eyes and mouth.

This module imports numpy and OpenCV.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["DETECT_ANGLES", "MIN_SCORE", "Face", "detect_faces", "face_patches"]

_MODELS = Path(__file__).resolve().parent / "models"
#: In-plane angles (degrees) searched when the upright passes find nothing.
DETECT_ANGLES: tuple[int, ...] = (-30, 30)
#: Minimum detection score (BlazeFace's own default is 0.5 / 0.6).
MIN_SCORE = 0.6
_IOU_MERGE = 0.3
#: Images whose longer side exceeds this many pixels are also searched in four
#: overlapping quarters (a group photo's small faces).
TILE_ABOVE = 480

# one set of networks per thread: a network keeps its input and buffers between
# setInput and forward, so two threads must never share one
_local = threading.local()


@dataclass(frozen=True)
class _Model:
    file: str
    size: int
    anchors: np.ndarray  # (n, 2) centres in [0, 1]


def _anchors(size: int, strides: tuple[int, ...], per_cell: tuple[int, ...]) -> np.ndarray:
    rows = []
    for stride, count in zip(strides, per_cell, strict=True):
        grid = size // stride
        ys, xs = np.mgrid[0:grid, 0:grid]
        centres = np.column_stack([(xs.ravel() + 0.5) / grid, (ys.ravel() + 0.5) / grid])
        rows.append(np.repeat(centres, count, axis=0))
    return np.concatenate(rows).astype(np.float32)


# MediaPipe's SSD anchor settings of the two models: short range 16x16 cells with
# 2 anchors and 8x8 cells with 6; full range 48x48 cells with one anchor each
_SHORT = _Model("face_detection_short_range.tflite", 128, _anchors(128, (8, 16), (2, 6)))
_FULL = _Model("face_detection_full_range.tflite", 192, _anchors(192, (4,), (1,)))


def _net(model: _Model) -> cv2.dnn.Net:
    # one network per thread, loaded on first use (about 10 ms)
    nets: dict[str, cv2.dnn.Net] = _local.__dict__.setdefault("nets", {})
    if model.file not in nets:
        path = _MODELS / model.file
        if not path.exists():  # pragma: no cover - only with a broken install
            raise RuntimeError(
                f"The face detector's model file {path} is missing: reinstall slice-workbench."
            )
        nets[model.file] = cv2.dnn.readNetFromTFLite(str(path))
    return nets[model.file]


@dataclass(frozen=True)
class Face:
    """One detected face, in the original image's pixels.

    ``x, y, w, h`` is the axis-aligned box around it; ``angle`` its in-plane
    rotation (degrees, from the eye line); ``score`` the detector's
    confidence; ``landmarks`` the (x, y) of the right eye, left eye, nose tip,
    mouth centre and the two ear tragions (the person's right and left).
    """

    x: int
    y: int
    w: int
    h: int
    angle: float
    score: float
    cx: float
    cy: float
    side: float
    landmarks: tuple[tuple[float, float], ...]


def _run(model: _Model, square: np.ndarray) -> np.ndarray:
    """Detections (score, cx, cy, w, h, 12 landmark coordinates) in the square's [0, 1] frame."""
    net = _net(model)
    blob = cv2.dnn.blobFromImage(
        square, 1 / 127.5, (model.size, model.size), (127.5, 127.5, 127.5), swapRB=False
    )
    net.setInput(blob)
    scores, boxes = net.forward(net.getUnconnectedOutLayersNames())
    scores = 1.0 / (1.0 + np.exp(-np.clip(scores.reshape(-1), -80.0, 80.0)))
    keep = scores >= MIN_SCORE
    if not keep.any():
        return np.zeros((0, 17), np.float32)
    raw = boxes.reshape(-1, 16)[keep] / model.size
    anchors = model.anchors[keep]
    raw[:, 0:2] += anchors
    raw[:, 4::2] += anchors[:, :1]
    raw[:, 5::2] += anchors[:, 1:]
    return np.column_stack([scores[keep], raw]).astype(np.float32)


def _letterbox(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float, float, float]:
    """The image scaled into a black square of ``side``; returns it, the scale and offsets."""
    height, width = rgb.shape[:2]
    scale = side / max(height, width)
    dims = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(rgb, dims, interpolation=interpolation)
    square = np.zeros((side, side, 3), np.uint8)
    off_x, off_y = (side - dims[0]) // 2, (side - dims[1]) // 2
    square[off_y : off_y + dims[1], off_x : off_x + dims[0]] = small
    return square, scale, off_x, off_y


def _brighten(rgb: np.ndarray) -> np.ndarray | None:
    """A copy whose bright end (99th percentile) is lifted to full scale, or None if bright."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    bright = float(np.percentile(gray, 99))
    if bright >= 160:
        return None
    # linear gain in light, then back to sRGB-like values (a gamma lift of the lows)
    gain = 255.0 / max(bright, 8.0)
    table = np.clip(((np.arange(256) / 255.0) ** 2.2 * gain**2.2) ** (1 / 2.2) * 255.0, 0, 255)
    return cv2.LUT(rgb, table.astype(np.uint8))


def _regions(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """The whole frame and, for a large image, four overlapping quarters (x0, y0, x1, y1)."""
    regions = [(0, 0, width, height)]
    if max(height, width) > TILE_ABOVE:
        tile_w, tile_h = round(0.6 * width), round(0.6 * height)
        for x0 in (0, width - tile_w):
            for y0 in (0, height - tile_h):
                regions.append((x0, y0, x0 + tile_w, y0 + tile_h))
    return regions


def _pass(rgb: np.ndarray, angle: float) -> list[np.ndarray]:
    """Detections of one (possibly rotated) image in its original pixel frame."""
    height, width = rgb.shape[:2]
    inverse = None
    image = rgb
    if angle:
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        image = cv2.warpAffine(rgb, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
        inverse = cv2.invertAffineTransform(matrix)
    found = []
    for index, (rx0, ry0, rx1, ry1) in enumerate(_regions(height, width)):
        region = image[ry0:ry1, rx0:rx1]
        # close-ups fill the frame: the short-range model only on the whole image
        for model in (_FULL, _SHORT) if index == 0 else (_FULL,):
            square, scale, off_x, off_y = _letterbox(region, model.size)
            for det in _run(model, square):
                points = det[1:].copy()
                xy = np.concatenate([points[0:2], points[4:]]).reshape(-1, 2)
                xy = (xy * model.size - (off_x, off_y)) / scale + (rx0, ry0)
                if inverse is not None:
                    xy = np.column_stack([xy, np.ones(len(xy))]) @ inverse.T
                side = float(max(points[2], points[3]) * model.size / scale)
                found.append(np.concatenate([[det[0], side], xy.ravel()]).astype(np.float64))
    return found


def _merge(found: list[np.ndarray]) -> list[np.ndarray]:
    """Weighted merge of overlapping detections (score, side, centre, 6 landmarks)."""
    order = sorted(range(len(found)), key=lambda i: -found[i][0])
    used = [False] * len(found)
    merged = []
    for i in order:
        if used[i]:
            continue
        group = []
        for j in order:
            if used[j]:
                continue
            if _overlap(found[i], found[j]) >= _IOU_MERGE:
                group.append(j)
                used[j] = True
        weights = np.array([found[j][0] for j in group])
        mean = np.average(np.stack([found[j] for j in group]), axis=0, weights=weights)
        mean[0] = max(weights)
        merged.append(mean)
    return merged


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    # intersection over union of the two (axis-aligned, square) boxes
    half_a, half_b = a[1] / 2, b[1] / 2
    dx = min(a[2] + half_a, b[2] + half_b) - max(a[2] - half_a, b[2] - half_b)
    dy = min(a[3] + half_a, b[3] + half_b) - max(a[3] - half_a, b[3] - half_b)
    if dx <= 0 or dy <= 0:
        return 0.0
    inter = dx * dy
    return float(inter / (a[1] ** 2 + b[1] ** 2 - inter))


def detect_faces(rgb: np.ndarray, *, angles: tuple[float, ...] = DETECT_ANGLES) -> list[Face]:
    """Every face in an RGB uint8 image, largest first.

    Parameters
    ----------
    rgb : numpy.ndarray
        ``(height, width, 3)`` uint8 sRGB.
    angles : tuple of float
        In-plane angles searched when the upright passes find nothing.

    Returns
    -------
    list of Face

    Examples
    --------
    >>> import numpy as np
    >>> detect_faces(np.full((64, 64, 3), 128, np.uint8))
    []
    """
    height, width = rgb.shape[:2]
    found = _pass(rgb, 0.0)
    if not found:
        brighter = _brighten(rgb)
        if brighter is not None:
            found = _pass(brighter, 0.0)
    for angle in angles:
        if found:
            break
        found = _pass(rgb, angle)
    faces = []
    for det in _merge(found):
        score, side = float(det[0]), float(det[1])
        cx, cy = float(det[2]), float(det[3])
        points = det[4:].reshape(-1, 2)
        # points: right eye, left eye, nose, mouth, right ear, left ear (the
        # person's right eye is on the image's left)
        eye_dx, eye_dy = points[1] - points[0]
        angle = round(math.degrees(math.atan2(eye_dy, eye_dx)), 1)
        half = side / 2
        x0, y0 = max(0, round(cx - half)), max(0, round(cy - half))
        x1, y1 = min(width, round(cx + half)), min(height, round(cy + half))
        if x1 <= x0 or y1 <= y0:
            continue
        faces.append(
            Face(
                x=x0,
                y=y0,
                w=x1 - x0,
                h=y1 - y0,
                angle=angle,
                score=round(score, 3),
                cx=cx,
                cy=cy,
                side=side,
                landmarks=tuple((float(x), float(y)) for x, y in points),
            )
        )
    faces.sort(key=lambda f: -f.side)
    return faces


# Skin patches in a frame set by the eyes: u along the eye line (from the
# person's right eye to the left one), v towards the mouth, both in units of
# the eye distance, measured from the midpoint between the eyes:
# (u centre, v centre, width, height). The forehead above the brows and both
# cheeks below the eyes, clear of the nose, its shadow and the mouth.
_PATCHES = (
    (0.0, -0.62, 0.9, 0.3),
    (-0.55, 0.5, 0.32, 0.34),
    (0.55, 0.5, 0.32, 0.34),
)


def face_patches(face: Face, shape: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """Boolean mask of the forehead and cheek patches of ``face`` (rotated with it).

    ``scale`` maps the face's coordinates to the mask's (the mask may be a
    resized copy of the image).
    """
    mask = np.zeros(shape, np.uint8)
    right_eye = np.array(face.landmarks[0]) * scale
    left_eye = np.array(face.landmarks[1]) * scale
    mouth = np.array(face.landmarks[3]) * scale
    centre = (right_eye + left_eye) / 2
    across = left_eye - right_eye
    distance = float(np.hypot(*across))
    if distance < 1e-3:
        return mask.astype(bool)
    across = across / distance
    down = np.array([-across[1], across[0]])
    if float(np.dot(mouth - centre, down)) < 0:  # upside down
        down = -down
    for u, v, pw, ph in _PATCHES:
        corners = [
            centre + ((u + du) * across + (v + dv) * down) * distance
            for du, dv in (
                (-pw / 2, -ph / 2),
                (pw / 2, -ph / 2),
                (pw / 2, ph / 2),
                (-pw / 2, ph / 2),
            )
        ]
        cv2.fillPoly(mask, [np.round(np.array(corners)).astype(np.int32)], 1)
    return mask.astype(bool)
