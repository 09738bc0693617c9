"""Colour arithmetic: sRGB <-> linear light <-> CIELab, and the ITA skin-tone bins.

The Individual Typology Angle (Chardon et al., 1991) is
``ITA = atan2(L* - 50, b*)`` in degrees, measured on skin in CIELab (D65).
Its named bins follow Del Bino & Bernerd (2013).

This module imports numpy and OpenCV (``cv2``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

__all__ = [
    "SKIN_TONE_BINS",
    "SKIN_TONE_ORDER",
    "boundary_distance",
    "ita_degrees",
    "ita_to_skin_tone",
    "lab_to_linear_rgb",
    "linear_to_lab",
    "linear_to_srgb_uint8",
    "srgb_to_linear",
]

# (name, lowest ITA, highest ITA) in degrees, lightest first.
SKIN_TONE_BINS: tuple[tuple[str, float, float], ...] = (
    ("very_light", 55.0, 90.0),
    ("light", 41.0, 55.0),
    ("intermediate", 28.0, 41.0),
    ("tan", 10.0, 28.0),
    ("brown", -30.0, 10.0),
    ("dark", -90.0, -30.0),
)
SKIN_TONE_ORDER: tuple[str, ...] = tuple(name for name, _, _ in SKIN_TONE_BINS)

# 8-bit sRGB -> linear light, one table lookup per pixel
_SRGB_TO_LINEAR = np.array(
    [
        (v / 12.92) if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        for v in (np.arange(256) / 255.0)
    ],
    dtype=np.float32,
)
_LINEAR_GRID = 4096
_LINEAR_TO_SRGB = np.array(
    [
        12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
        for v in np.linspace(0.0, 1.0, _LINEAR_GRID)
    ],
    dtype=np.float32,
)


def srgb_to_linear(image: np.ndarray) -> np.ndarray:
    """Convert an 8-bit sRGB image to linear light in [0, 1] (float32)."""
    return _SRGB_TO_LINEAR[image]


def linear_to_srgb_uint8(linear: np.ndarray) -> np.ndarray:
    """Convert linear light (clipped to [0, 1]) to 8-bit sRGB."""
    index = (np.clip(linear, 0.0, 1.0) * (_LINEAR_GRID - 1) + 0.5).astype(np.int32)
    return (_LINEAR_TO_SRGB[index] * 255.0 + 0.5).astype(np.uint8)


def linear_to_lab(linear: np.ndarray) -> np.ndarray:
    """Convert linear RGB (float32, H x W x 3, [0, 1]) to CIELab under D65."""
    return cv2.cvtColor(np.ascontiguousarray(linear, dtype=np.float32), cv2.COLOR_LRGB2Lab)


def lab_to_linear_rgb(lab: Sequence[float]) -> np.ndarray:
    """Convert one CIELab colour (D65) to linear RGB, clipped to [0, 1]."""
    lightness, a_star, b_star = lab
    fy = (lightness + 16.0) / 116.0
    fx = fy + a_star / 500.0
    fz = fy - b_star / 200.0

    def finv(t: float) -> float:
        return t**3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)

    xyz = np.array([0.95047 * finv(fx), finv(fy), 1.08883 * finv(fz)])
    to_rgb = np.array(
        [
            [3.2404542, -1.5371385, -0.4985314],
            [-0.9692660, 1.8760108, 0.0415560],
            [0.0556434, -0.2040259, 1.0572252],
        ]
    )
    return np.clip(to_rgb @ xyz, 0.0, 1.0).astype(np.float32)


def ita_degrees(lightness: float, b_star: float) -> float:
    """Individual Typology Angle ``atan2(L* - 50, b*)`` in degrees.

    Examples
    --------
    >>> round(ita_degrees(70.0, 12.0), 1)
    59.0
    """
    return math.degrees(math.atan2(lightness - 50.0, b_star))


def ita_to_skin_tone(ita_deg: float) -> str:
    """Name the skin-tone bin of an ITA angle (very_light ... dark).

    Examples
    --------
    >>> ita_to_skin_tone(48.0), ita_to_skin_tone(-40.0)
    ('light', 'dark')
    """
    if not math.isfinite(ita_deg):
        return "unknown"
    for name, low, _high in SKIN_TONE_BINS:
        if ita_deg > low:
            return name
    return "dark"


def boundary_distance(ita_deg: float) -> float:
    """Distance in degrees from ``ita_deg`` to the nearest bin boundary."""
    edges = [low for _, low, _ in SKIN_TONE_BINS[:-1]]
    return min(abs(ita_deg - e) for e in edges)
