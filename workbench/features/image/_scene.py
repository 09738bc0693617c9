"""Indoor / outdoor from image statistics, and the lighting and contrast labels.

The scene rule reads two shares from the light-corrected image: sky-blue
pixels in the upper third and vegetation-green pixels in the lower half's
left and right thirds (the subject usually covers the middle).
A picture where the two shares add up to ``OUTDOOR_SCORE`` is called outdoor. It is a transparent
baseline, not a scene recogniser: pass ``scene_classifier=`` to
:class:`ImageDescriptors` to plug in a real one.

This module imports numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["contrast_label", "lighting_label", "scene_label", "scene_shares"]

# Thresholds on the 8-bit luma mean / standard deviation (as fractions of 255).
DIM_BELOW = 0.38
BRIGHT_ABOVE = 0.585
LOW_CONTRAST_BELOW = 0.12
HIGH_CONTRAST_ABOVE = 0.3
# dim when the 99th percentile of linear luminance is below WHITE_TARGET / DIM_GAIN
# (0.44 of full light); the real face photos need gains of 0.8-1.18
DIM_GAIN = 1.7
# outdoor when sky share + vegetation share reaches this; on the rendered set
# indoor pictures stay below 0.5 (blue walls, green shirts) and outdoor ones
# start near 1.0
OUTDOOR_SCORE = 0.6


def scene_shares(lab: np.ndarray) -> tuple[float, float]:
    """Share of sky-blue pixels in the upper third, of green pixels in the lower half."""
    height = lab.shape[0]
    upper = lab[: max(1, height // 3)]
    lightness, a_star, b_star = upper[..., 0], upper[..., 1], upper[..., 2]
    sky = (b_star < -12) & (b_star < -0.8 * np.abs(a_star) - 8) & (lightness > 35)
    clouds = (lightness > 75) & (np.hypot(a_star, b_star) < 8)
    # the subject usually stands in the middle: read the ground at the sides
    width = lab.shape[1]
    margin = max(1, int(0.3 * width))
    lower = np.concatenate(
        [lab[height // 2 :, :margin], lab[height // 2 :, width - margin :]], axis=1
    )
    lightness, a_star, b_star = lower[..., 0], lower[..., 1], lower[..., 2]
    green = (a_star < -8) & (b_star > 0.4 * -a_star) & (lightness > 8) & (lightness < 80)
    sky_share = float(sky.mean() + 0.5 * clouds.mean() * (sky.mean() > 0.05))
    return min(1.0, sky_share), float(green.mean())


def scene_label(sky_share: float, vegetation_share: float) -> str:
    """``outdoor`` when enough sky and vegetation show, else ``indoor``.

    Examples
    --------
    >>> scene_label(0.7, 0.4), scene_label(0.05, 0.1)
    ('outdoor', 'indoor')
    """
    return "outdoor" if sky_share + vegetation_share >= OUTDOOR_SCORE else "indoor"


def lighting_label(luminance_mean: float, exposure_gain: float = 1.0) -> str:
    """``dim`` / ``normal`` / ``bright`` from the mean luma (0-1) and the exposure gain.

    A picture is also dim when its brightest part is far below full light
    (``exposure_gain >= DIM_GAIN``): half the light on a light-walled room
    leaves its mean luma "normal" but halves its highlights.

    Examples
    --------
    >>> lighting_label(0.5), lighting_label(0.5, exposure_gain=2.0), lighting_label(0.7)
    ('normal', 'dim', 'bright')
    """
    if luminance_mean < DIM_BELOW or exposure_gain >= DIM_GAIN:
        return "dim"
    if luminance_mean > BRIGHT_ABOVE:
        return "bright"
    return "normal"


def contrast_label(luminance_std: float) -> str:
    """``low`` / ``normal`` / ``high`` from the luma standard deviation (0-1)."""
    if luminance_std < LOW_CONTRAST_BELOW:
        return "low"
    if luminance_std > HIGH_CONTRAST_ABOVE:
        return "high"
    return "normal"
