"""Render procedural face images whose skin tone, lighting and scene are known.

No real face dataset with skin-tone, lighting and scene attributes installs
offline, so the sample data and the accuracy tests use cartoon faces drawn
here: a head ellipse with shading, eyes with sclera, iris and pupil, brows,
nose, a smiling or neutral mouth, hair, neck and shirt, in front of an indoor
(walls, furniture, floor) or outdoor (sky gradient, grass, trees) background.
The skin colour is drawn in CIELab at a chosen Individual Typology Angle, the
scene is lit with a dim / normal / bright exposure and a warm / neutral / cool
colour cast in linear light, then encoded to sRGB with sensor noise.

These are drawings, not people: they test that the descriptors recover what
was drawn, nothing more.

This module imports numpy, pandas, OpenCV (``cv2``) and the image colour helpers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from workbench.features.image._color import SKIN_TONE_BINS, lab_to_linear_rgb, linear_to_srgb_uint8

__all__ = ["render_faces"]

LIGHTING_EXPOSURE = {"dim": (0.22, 0.4), "normal": (0.8, 1.2), "bright": (1.35, 1.7)}
CASTS = {
    "neutral": (1.0, 1.0, 1.0),
    "warm": (1.0, 0.86, 0.66),
    "cool": (0.72, 0.88, 1.0),
}
# The whites of the eyes reflect about half the light: whiter than skin, not a
# white card. The skin measurement assumes the same value.
SCLERA_REFLECTANCE = 0.5


@dataclass(frozen=True)
class _FaceSpec:
    skin_tone: str
    ita_deg: float
    lighting: str
    exposure: float
    cast: str
    scene: str
    smiling: bool


def _ita_range(category: str) -> tuple[float, float]:
    for name, low, high in SKIN_TONE_BINS:
        if name == category:
            return max(low, -55.0), min(high, 68.0)
    raise KeyError(category)


def _skin_lab(ita_deg: float, rng: np.random.Generator) -> tuple[float, float, float]:
    # Real skin lies on a band in the (b*, L*) plane: the angle is the ITA,
    # the distance from (b*=0, L*=50) is 22-32 units.
    radius = rng.uniform(22.0, 32.0)
    theta = math.radians(ita_deg)
    lightness = 50.0 + radius * math.sin(theta)
    b_star = radius * math.cos(theta)
    a_star = rng.uniform(7.0, 16.0)
    return lightness, a_star, b_star


def _indoor_background(img: np.ndarray, rng: np.random.Generator) -> None:
    size = img.shape[0]
    wall = rng.uniform(0.18, 0.55) * rng.choice(
        [
            (1.0, 0.92, 0.78),
            (0.9, 0.9, 0.9),
            (0.75, 0.85, 0.95),
            (0.85, 0.95, 0.8),
            (1.0, 0.85, 0.85),
        ]
    )
    img[:] = wall
    # a wall corner: one side in shadow
    corner = int(rng.uniform(0.15, 0.85) * size)
    side = slice(0, corner) if rng.random() < 0.5 else slice(corner, size)
    img[:, side] *= rng.uniform(0.65, 0.9)
    floor = int(rng.uniform(0.72, 0.9) * size)
    img[floor:] = rng.uniform(0.08, 0.25) * np.array((1.0, 0.75, 0.5))
    for _ in range(rng.integers(1, 4)):
        x0, y0 = (rng.uniform(0, 0.85, 2) * size).astype(int)
        w, h = (rng.uniform(0.1, 0.35, 2) * size).astype(int)
        colour = rng.uniform(0.05, 0.5) * rng.choice(
            [(0.8, 0.55, 0.35), (0.5, 0.5, 0.55), (0.9, 0.9, 0.85), (0.3, 0.35, 0.6)]
        )
        cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), colour.tolist(), -1)
    if rng.random() < 0.6:  # a lamp or a window-less ceiling light
        cx = int(rng.uniform(0.1, 0.9) * size)
        cv2.circle(img, (cx, int(0.08 * size)), int(0.06 * size), (0.95, 0.85, 0.6), -1)


def _outdoor_background(img: np.ndarray, rng: np.random.Generator) -> None:
    size = img.shape[0]
    horizon = int(rng.uniform(0.4, 0.62) * size)
    top = np.array((0.12, 0.3, 0.75)) * rng.uniform(0.6, 1.1)
    low = np.array((0.5, 0.65, 0.85)) * rng.uniform(0.7, 1.05)
    t = np.linspace(0.0, 1.0, horizon)[:, None, None]
    img[:horizon] = top * (1 - t) + low * t
    for _ in range(rng.integers(0, 3)):  # clouds
        c = (int(rng.uniform(0, 1) * size), int(rng.uniform(0.05, 0.3) * size))
        axes = (int(rng.uniform(0.08, 0.2) * size), int(rng.uniform(0.03, 0.07) * size))
        cv2.ellipse(img, c, axes, 0, 0, 360, (0.75, 0.78, 0.82), -1)
    grass = np.array((0.07, 0.22, 0.04)) * rng.uniform(0.6, 1.3)
    img[horizon:] = grass
    noise = rng.normal(1.0, 0.18, (size - horizon, size, 1))
    img[horizon:] *= noise.clip(0.5, 1.5)
    for _ in range(rng.integers(1, 5)):  # trees at the horizon
        x = int(rng.uniform(0, 1) * size)
        r = int(rng.uniform(0.06, 0.15) * size)
        cv2.rectangle(
            img, (x - r // 6, horizon - r), (x + r // 6, horizon + 2), (0.1, 0.06, 0.03), -1
        )
        cv2.circle(img, (x, horizon - r), r, (0.03, 0.12, 0.02), -1)


def _draw_face(img: np.ndarray, spec: _FaceSpec, rng: np.random.Generator) -> None:
    size = img.shape[0]
    skin = lab_to_linear_rgb(_skin_lab(spec.ita_deg, rng))
    head_w = rng.uniform(0.19, 0.25) * size  # half-width
    head_h = head_w * rng.uniform(1.22, 1.35)
    cx = size / 2 + rng.uniform(-0.08, 0.08) * size
    cy = size * rng.uniform(0.45, 0.52)
    tilt = rng.uniform(-8, 8)

    def pt(dx: float, dy: float) -> tuple[int, int]:
        a = math.radians(tilt)
        x = cx + dx * head_w * math.cos(a) - dy * head_h * math.sin(a)
        y = cy + dx * head_w * math.sin(a) + dy * head_h * math.cos(a)
        return round(x), round(y)

    def ax(rx: float, ry: float) -> tuple[int, int]:
        return max(1, round(rx * head_w)), max(1, round(ry * head_h))

    shirt = rng.uniform(0.05, 0.6, 3)
    cv2.ellipse(img, pt(0, 1.95), ax(2.2, 0.9), tilt, 0, 360, shirt.tolist(), -1)
    neck = (skin * 0.8).tolist()
    x0, y0 = pt(-0.42, 0.6)
    x1, y1 = pt(0.42, 1.3)
    cv2.rectangle(img, (x0, y0), (x1, y1), neck, -1)
    hair = rng.uniform(0.01, 0.25) * np.array(
        rng.choice([(1, 0.7, 0.4), (1, 1, 1), (1, 0.85, 0.5)])
    )
    hair_long = rng.random() < 0.4
    cv2.ellipse(
        img, pt(0, -0.12), ax(1.12, 1.0 if hair_long else 0.9), tilt, 0, 360, hair.tolist(), -1
    )
    if hair_long:
        x0, y0 = pt(-1.12, -0.1)
        x1, y1 = pt(1.12, 0.9)
        cv2.rectangle(img, (x0, y0), (x1, y1), hair.tolist(), -1)
    # the face, shaded darker towards its edge
    face = np.zeros(img.shape[:2], np.float32)
    cv2.ellipse(face, pt(0, 0), ax(1.0, 1.0), tilt, 0, 360, 1.0, -1)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    rr = ((xx - cx) / head_w) ** 2 + ((yy - cy) / head_h) ** 2
    shade = (1.0 - 0.25 * rr.clip(0, 1) ** 2)[..., None]
    img[:] = np.where(face[..., None] > 0, skin * shade, img)
    # hair fringe over the forehead
    cv2.ellipse(img, pt(0, -0.78), ax(0.95, 0.32), tilt, 180, 360, hair.tolist(), -1)
    # eyes: sclera, iris, pupil, brows
    iris = rng.uniform(0.02, 0.2) * np.array(
        rng.choice([(0.6, 0.35, 0.15), (0.3, 0.5, 0.8), (0.4, 0.45, 0.3)])
    )
    for side in (-1, 1):
        ex, ey = 0.38 * side, -0.12
        cv2.ellipse(img, pt(ex, ey), ax(0.22, 0.09), tilt, 0, 360, (SCLERA_REFLECTANCE,) * 3, -1)
        cv2.circle(img, pt(ex, ey), max(1, round(0.07 * head_h)), iris.tolist(), -1)
        cv2.circle(img, pt(ex, ey), max(1, round(0.03 * head_h)), (0.01, 0.01, 0.01), -1)
        cv2.ellipse(img, pt(ex, ey - 0.02), ax(0.23, 0.1), tilt, 180, 360, (0.03, 0.02, 0.02), 1)
        brow = pt(ex, ey - 0.17)
        cv2.ellipse(
            img, brow, ax(0.22, 0.05), tilt, 190, 350, hair.tolist(), max(1, round(0.03 * size))
        )
    # nose: a shadow along one side and under the tip
    nose = (skin * 0.6).tolist()
    cv2.line(img, pt(0.05, -0.05), pt(0.1, 0.22), nose, max(1, round(0.012 * size)))
    cv2.ellipse(img, pt(0, 0.25), ax(0.13, 0.04), tilt, 0, 180, nose, max(1, round(0.012 * size)))
    lips = (skin * np.array((0.75, 0.45, 0.45))).tolist()
    thick = max(1, round(0.02 * size))
    if spec.smiling:
        cv2.ellipse(img, pt(0, 0.42), ax(0.36, 0.16), tilt, 10, 170, lips, thick)
        cv2.ellipse(img, pt(0, 0.45), ax(0.26, 0.08), tilt, 0, 180, (0.55, 0.5, 0.45), -1)
    else:
        bend = rng.uniform(-0.05, 0.02)
        cv2.ellipse(
            img,
            pt(0, 0.52 - bend),
            ax(0.28, abs(bend) + 0.02),
            tilt,
            200 if bend < 0 else 20,
            340 if bend < 0 else 160,
            lips,
            thick,
        )


def _light(img: np.ndarray, spec: _FaceSpec, rng: np.random.Generator) -> np.ndarray:
    size = img.shape[0]
    cast = np.array(CASTS[spec.cast], np.float32)
    cast = cast / (0.2126 * cast[0] + 0.7152 * cast[1] + 0.0722 * cast[2])
    # light falls off gently across the frame, from a random side
    angle = rng.uniform(0, 2 * math.pi)
    ramp = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    grad = 1.0 + 0.08 * (math.cos(angle) * ramp[None, :] + math.sin(angle) * ramp[:, None])
    lit = img * grad[..., None] * (spec.exposure * cast)
    srgb = linear_to_srgb_uint8(lit).astype(np.float32)
    srgb += rng.normal(0.0, rng.uniform(1.5, 4.0), srgb.shape).astype(np.float32)
    return np.clip(srgb + 0.5, 0, 255).astype(np.uint8)


def _draw_specs(
    n: int, rng: np.random.Generator, skew: dict[tuple[str, str], float] | None
) -> list[_FaceSpec]:
    tones = [name for name, _, _ in SKIN_TONE_BINS]
    specs: list[_FaceSpec] = []
    while len(specs) < n:
        tone = str(rng.choice(tones))
        lighting = str(rng.choice(list(LIGHTING_EXPOSURE)))
        if skew is not None and rng.random() > skew.get((lighting, tone), 1.0):
            continue
        low, high = _ita_range(tone)
        margin = min(1.5, (high - low) / 4)
        scene = "indoor" if rng.random() < 0.5 else "outdoor"
        cast_p = [0.3, 0.5, 0.2] if scene == "indoor" else [0.3, 0.2, 0.5]
        specs.append(
            _FaceSpec(
                skin_tone=tone,
                ita_deg=float(rng.uniform(low + margin, high - margin)),
                lighting=lighting,
                exposure=float(rng.uniform(*LIGHTING_EXPOSURE[lighting])),
                cast=str(rng.choice(["neutral", "warm", "cool"], p=cast_p)),
                scene=scene,
                smiling=bool(rng.random() < 0.5),
            )
        )
    return specs


def render_faces(
    n: int,
    *,
    size: int = 128,
    seed: int = 0,
    skew: dict[tuple[str, str], float] | None = None,
) -> tuple[list[np.ndarray], pd.DataFrame]:
    """Render ``n`` procedural face images with known skin tone, lighting and scene.

    Parameters
    ----------
    n : int
        Number of images.
    size : int
        Width and height in pixels.
    seed : int
        Seed of the random generator: the same seed gives the same images.
    skew : dict, optional
        ``{(lighting, skin_tone): keep_probability}``; a cell with probability
        0.1 keeps one draw in ten, which under-represents it (used to train a
        deliberately skewed classifier).

    Returns
    -------
    images : list of numpy.ndarray
        ``size x size x 3`` uint8 RGB images.
    attributes : pandas.DataFrame
        One row per image: ``true_skin_tone``, ``true_ita_deg``,
        ``true_lighting``, ``true_exposure``, ``true_color_cast``, ``true_scene``,
        ``smiling``.

    Examples
    --------
    >>> images, attributes = render_faces(2, seed=1)
    >>> images[0].shape, list(attributes.columns)[:2]
    ((128, 128, 3), ['true_skin_tone', 'true_ita_deg'])
    """
    rng = np.random.default_rng(seed)
    specs = _draw_specs(n, rng, skew)
    images: list[np.ndarray] = []
    for spec in specs:
        canvas = np.zeros((size, size, 3), np.float32)
        if spec.scene == "indoor":
            _indoor_background(canvas, rng)
        else:
            _outdoor_background(canvas, rng)
        _draw_face(canvas, spec, rng)
        smooth = cv2.GaussianBlur(canvas, (0, 0), 0.6)  # anti-aliasing, like a lens
        images.append(_light(smooth, spec, rng))
    attributes = pd.DataFrame(
        {
            "true_skin_tone": [s.skin_tone for s in specs],
            "true_ita_deg": [round(s.ita_deg, 2) for s in specs],
            "true_lighting": [s.lighting for s in specs],
            "true_exposure": [round(s.exposure, 3) for s in specs],
            "true_color_cast": [s.cast for s in specs],
            "true_scene": [s.scene for s in specs],
            "smiling": [s.smiling for s in specs],
        }
    )
    return images, attributes
