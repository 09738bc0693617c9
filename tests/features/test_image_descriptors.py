"""Accuracy of the image descriptors on rendered faces whose truth is known.

The faces are procedural drawings (``render_faces``), not people: these tests
show that the descriptors recover the skin tone, lighting and scene that were
drawn, and that the light correction holds, on 450 images (about 5 s).
Thresholds sit a little below what was measured on seeds 11, 12 and 13
(quoted in each test), so a regression fails and noise does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("cv2")
pytest.importorskip("skimage")

from workbench.features import Extractor, run_extractor
from workbench.features.image import (
    SKIN_TONE_ORDER,
    ImageDescriptors,
    describe_image,
)
from workbench.samples import render_faces

N_IMAGES = 450


@pytest.fixture(scope="module")
def rendered() -> pd.DataFrame:
    images, truth = render_faces(N_IMAGES, seed=11)
    descriptors = ImageDescriptors().extract(images)
    return pd.concat([truth, descriptors], axis=1)


def _share(mask: pd.Series) -> float:
    return float(mask.mean())


@pytest.mark.parametrize("lighting", ["normal", "bright"])
def test_skin_tone_exact_under_normal_and_bright_light(
    rendered: pd.DataFrame, lighting: str
) -> None:
    # measured: normal 0.977 / 0.965 / 0.955, bright 0.965 / 0.959 / 0.960
    rows = rendered[rendered["true_lighting"] == lighting]
    assert _share(rows["skin_tone"] == rows["true_skin_tone"]) >= 0.92


def test_skin_tone_within_one_category_under_dim_light(rendered: pd.DataFrame) -> None:
    # measured: within one 0.983 / 0.988 / 0.979, exact 0.874 / 0.883 / 0.911;
    # dim pictures are noisier once brightened, so exact is the harder bar
    order = {name: i for i, name in enumerate(SKIN_TONE_ORDER)}
    rows = rendered[rendered["true_lighting"] == "dim"]
    distance = [
        abs(order.get(found, 99) - order[true])
        for found, true in zip(rows["skin_tone"], rows["true_skin_tone"], strict=True)
    ]
    assert np.mean(np.array(distance) <= 1) >= 0.95
    assert _share(rows["skin_tone"] == rows["true_skin_tone"]) >= 0.82


def test_light_correction_removes_the_exposure_from_ita(rendered: pd.DataFrame) -> None:
    # measured median |ITA error| in dim light: corrected 2.2-2.5 deg, raw 63-67 deg
    dim = rendered[rendered["true_lighting"] == "dim"]
    corrected = (dim["skin_ita_deg"] - dim["true_ita_deg"]).abs().median()
    raw = (dim["skin_ita_deg_uncorrected"] - dim["true_ita_deg"]).abs().median()
    assert corrected <= 4.0
    assert raw >= 30.0


def test_lighting_category_accuracy(rendered: pd.DataFrame) -> None:
    # measured 0.898 / 0.884 / 0.840: dim is always right; normal and bright
    # overlap because a white wall at normal exposure is as bright as a dark
    # one at bright exposure
    assert _share(rendered["lighting"] == rendered["true_lighting"]) >= 0.80
    dim = rendered["true_lighting"] == "dim"
    assert _share(rendered.loc[dim, "lighting"] == "dim") >= 0.95


def test_scene_accuracy(rendered: pd.DataFrame) -> None:
    # measured 0.998 / 1.000 / 0.996
    assert _share(rendered["scene"] == rendered["true_scene"]) >= 0.97


def test_color_cast_label(rendered: pd.DataFrame) -> None:
    # measured 0.916 / 0.918 / 0.929 (mild cool casts are read as neutral)
    assert _share(rendered["color_cast"] == rendered["true_color_cast"]) >= 0.85


def test_exposure_does_not_move_ita_on_a_real_photo() -> None:
    # astronaut (skimage.data): corrected ITA 47.1 deg; darkened to 35 % of its
    # light (in linear RGB) 50.5 deg, while the raw ITA falls from 57.5 to -1.3
    from skimage import data

    from workbench.features.image._color import linear_to_srgb_uint8, srgb_to_linear

    photo = data.astronaut()
    darker = linear_to_srgb_uint8(srgb_to_linear(photo) * 0.35)
    before, after = describe_image(photo), describe_image(darker)
    assert before["face_found"] and after["face_found"]
    assert abs(after["skin_ita_deg"] - before["skin_ita_deg"]) <= 5.0
    assert abs(after["skin_ita_deg_uncorrected"] - before["skin_ita_deg_uncorrected"]) >= 30.0


def test_follows_the_extractor_interface() -> None:
    images, _ = render_faces(5, seed=3)
    extractor = ImageDescriptors()
    assert isinstance(extractor, Extractor)
    frame = run_extractor(extractor, images, batch_size=2)
    assert list(frame.columns) == list(extractor.columns)
    assert len(frame) == 5
    assert frame["width"].tolist() == [128] * 5


def test_processes_give_the_same_rows_as_one_process() -> None:
    images, _ = render_faces(40, seed=5)
    serial = ImageDescriptors().extract(images)
    with ImageDescriptors(n_jobs=2, chunk_size=8) as extractor:
        parallel = extractor.extract(images)
    pd.testing.assert_frame_equal(serial, parallel)


def _always_beach(rgb: np.ndarray) -> str:
    return "beach" if rgb.ndim == 3 else "?"


def test_scene_classifier_plug_in() -> None:
    images, _ = render_faces(3, seed=4)
    frame = ImageDescriptors(scene_classifier=_always_beach).extract(images)
    assert frame["scene"].tolist() == ["beach"] * 3
