"""Find every face in a photo with OpenCV's bundled Haar cascades and a rotation search.

OpenCV 4.x wheels ship their trained cascades (``cv2.data.haarcascades``), so
nothing is fetched at run time. A frontal-face cascade only finds upright
faces, so the image is searched at several in-plane angles (tilted heads,
heads bent over a table) and the hits are merged. A hit is kept when it was
found at two or more angles, or when an eye cascade finds an eye in its upper
half: on the real photos this removes the single-angle hits on a cat, a
rocket and a motorcycle while keeping every face of a six-person group photo.

This module imports numpy and OpenCV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["DETECT_ANGLES", "DETECT_SIDE", "Face", "detect_faces", "face_patches"]

#: In-plane angles (degrees) the image is searched at.
DETECT_ANGLES: tuple[int, ...] = (0, -20, 20, -35, 35)
#: The longer side (pixels) the image is resized to before the search.
DETECT_SIDE = 400

_cascades: dict[str, cv2.CascadeClassifier] = {}


def _cascade(name: str) -> cv2.CascadeClassifier:
    if name not in _cascades:
        path = cv2.data.haarcascades + name  # type: ignore[attr-defined]
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():  # pragma: no cover - only with an OpenCV build without cascades
            raise RuntimeError(
                f"OpenCV could not load its Haar cascade {path!r}. Install "
                "'opencv-python-headless>=4.9,<5' (OpenCV 5 wheels ship no cascades)."
            )
        _cascades[name] = cascade
    return _cascades[name]


@dataclass(frozen=True)
class Face:
    """One detected face, in the original image's pixels.

    ``x, y, w, h`` is the axis-aligned box around it; ``angle`` the in-plane
    rotation (degrees) it was found at; ``votes`` how many search angles found
    it; ``eyes`` how many eyes the eye cascade saw in it.
    """

    x: int
    y: int
    w: int
    h: int
    angle: float
    votes: int
    eyes: int
    # the box in the rotated search image, mapped back: centre and side
    cx: float
    cy: float
    side: float


def _rotate(gray: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    rotated = cv2.warpAffine(gray, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    return rotated, cv2.invertAffineTransform(matrix)


def _count_eyes(gray: np.ndarray, x: int, y: int, w: int, h: int) -> int:
    upper = gray[y : y + int(0.6 * h), x : x + w]
    if upper.size == 0:
        return 0
    width = 96
    upper = cv2.resize(upper, (width, max(1, round(width * upper.shape[0] / upper.shape[1]))))
    eyes = _cascade("haarcascade_eye.xml").detectMultiScale(
        upper, scaleFactor=1.1, minNeighbors=3, minSize=(12, 12)
    )
    return len(eyes)


def _search(
    small: np.ndarray, angles: tuple[float, ...]
) -> list[tuple[float, float, float, float, int]]:
    min_side = max(20, min(small.shape) // 14)
    hits: list[tuple[float, float, float, float, int]] = []
    for angle in angles:
        if angle:
            search, inverse = _rotate(small, angle)
        else:
            search, inverse = small, None
        boxes = _cascade("haarcascade_frontalface_alt2.xml").detectMultiScale(
            search, scaleFactor=1.1, minNeighbors=3, minSize=(min_side, min_side)
        )
        for x, y, w, h in boxes:
            cx, cy = x + w / 2, y + h / 2
            if inverse is not None:
                cx, cy = inverse @ np.array([cx, cy, 1.0])
            eyes = _count_eyes(search, x, y, w, h)
            hits.append((float(cx), float(cy), float(w), float(angle), eyes))
    return hits


def detect_faces(
    rgb: np.ndarray, *, angles: tuple[float, ...] = DETECT_ANGLES, side: int = DETECT_SIDE
) -> list[Face]:
    """Every face in an RGB uint8 image, largest first.

    Parameters
    ----------
    rgb : numpy.ndarray
        ``(height, width, 3)`` uint8 sRGB.
    angles : tuple of float
        In-plane angles to search at (0 alone finds upright faces only).
    side : int
        A larger image is first brought down to this many pixels on its longer
        side; faces smaller than about 1/14 of the shorter side are not found.

    Returns
    -------
    list of Face

    Examples
    --------
    >>> import numpy as np
    >>> detect_faces(np.full((64, 64, 3), 128, np.uint8))
    []
    """
    # the luma and the red channel: skin is brightest in red, which keeps the
    # eye/cheek contrast the cascade looks for on dark skin (on the rendered
    # faces, red finds 70 % of brown faces where luma finds 9 %), while luma
    # finds real faces that red misses
    hits: list[tuple[float, float, float, float, int]] = []  # cx, cy, side, angle, eyes
    height, width = rgb.shape[:2]
    scale = min(1.0, side / max(height, width))
    for gray in (cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.ascontiguousarray(rgb[..., 0])):
        small = gray
        if scale < 1.0:
            dims = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(gray, dims, interpolation=cv2.INTER_AREA)
        hits += _search(cv2.equalizeHist(small), angles)
    faces: list[Face] = []
    used = [False] * len(hits)
    order = sorted(range(len(hits)), key=lambda i: (-hits[i][4], abs(hits[i][3]), -hits[i][2]))
    for i in order:
        if used[i]:
            continue
        cx, cy, size, angle, eyes = hits[i]
        group = [
            j
            for j in range(len(hits))
            if not used[j] and math.hypot(hits[j][0] - cx, hits[j][1] - cy) < 0.5 * size
        ]
        for j in group:
            used[j] = True
        votes = len({hits[j][3] for j in group})
        eyes = max(hits[j][4] for j in group)
        if votes < 2 and eyes < 1:
            continue
        # average the hits: one angle's box alone jumps between runs of a
        # slightly different image, and the skin patches would jump with it
        cx = float(np.mean([hits[j][0] for j in group]))
        cy = float(np.mean([hits[j][1] for j in group]))
        size = float(np.median([hits[j][2] for j in group]))
        angle = round(float(np.mean([hits[j][3] for j in group])), 1)
        half = size / 2 / scale
        # the axis-aligned box around the rotated square
        reach = half * (abs(math.cos(math.radians(angle))) + abs(math.sin(math.radians(angle))))
        ocx, ocy = cx / scale, cy / scale
        x0, y0 = max(0, round(ocx - reach)), max(0, round(ocy - reach))
        x1, y1 = min(width, round(ocx + reach)), min(height, round(ocy + reach))
        faces.append(
            Face(
                x=x0,
                y=y0,
                w=x1 - x0,
                h=y1 - y0,
                angle=angle,
                votes=votes,
                eyes=eyes,
                cx=ocx,
                cy=ocy,
                side=2 * half,
            )
        )
    faces.sort(key=lambda f: -f.side)
    return faces


# Face-local rectangles (centre u, v and size, as fractions of the face box's
# side; v grows downwards): forehead and both cheeks, clear of eyes, brows,
# nose shadow, mouth and hair.
_PATCHES = (
    (0.0, -0.27, 0.36, 0.12),
    (-0.2, 0.1, 0.16, 0.18),
    (0.2, 0.1, 0.16, 0.18),
)


def face_patches(face: Face, shape: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """Boolean mask of the forehead and cheek patches of ``face`` (rotated with it).

    ``scale`` maps the face's coordinates to the mask's (the mask may be a
    resized copy of the image).
    """
    mask = np.zeros(shape, np.uint8)
    # offsets in the (upright) search frame, mapped back like the face centre
    inverse = cv2.invertAffineTransform(cv2.getRotationMatrix2D((0.0, 0.0), face.angle, 1.0))
    cos, sin = float(inverse[0, 0]), float(inverse[1, 0])
    side = face.side * scale
    for u, v, pw, ph in _PATCHES:
        corners = []
        for du, dv in ((-pw / 2, -ph / 2), (pw / 2, -ph / 2), (pw / 2, ph / 2), (-pw / 2, ph / 2)):
            lx, ly = (u + du) * side, (v + dv) * side
            corners.append(
                (face.cx * scale + cos * lx - sin * ly, face.cy * scale + sin * lx + cos * ly)
            )
        cv2.fillPoly(mask, [np.round(np.array(corners)).astype(np.int32)], 1)
    return mask.astype(bool)
