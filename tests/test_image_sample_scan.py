"""The scan over the image sample's measured descriptors finds the dim-light x dark-skin slice."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.samples import IMAGE_FEATURES

DESCRIPTORS = list(IMAGE_FEATURES)


def test_dim_light_and_dark_skin_is_the_significant_failure() -> None:
    faces = wb.load_sample("images")
    bench = wb.Workbench.from_predictions(
        faces,
        label="smiling",
        prediction="prediction",
        score="score",
        features=DESCRIPTORS,
        path=":memory:",
    )
    findings = bench.scan()
    top = findings[0]
    assert top.significant
    assert top.conditions.get("skin_tone") == "dark"
    assert top.error_ci_low > 3 * findings.overall_error
    cell = bench.evaluate({"skin_tone": "dark", "lighting": "dim"})
    assert cell.significant and cell.slice_error > 0.3
    # the true attributes agree: the failure is real, not an artefact of the descriptors
    truth = faces[(faces["true_lighting"] == "dim") & (faces["true_skin_tone"] == "dark")]
    assert (truth["prediction"] != truth["smiling"]).mean() > 0.3
    bench.close()


def test_every_first_page_row_of_the_top_slices_has_a_thumbnail() -> None:
    # the explorer's slice table shows 10 slices per page and a slice's member rows 20
    # per page, in row order or worst first: each of those rows has a decodable file
    image = pytest.importorskip("PIL.Image")
    faces = wb.load_sample("images")
    root = wb.sample_path("images").parents[2]  # relative image paths start here
    bench = wb.Workbench.from_predictions(
        faces,
        label="smiling",
        prediction="prediction",
        score="score",
        features=DESCRIPTORS,
        path=":memory:",
    )
    findings = bench.scan()
    checked = 0
    for found in list(findings)[:10]:
        for worst_first in (False, True):
            members = bench.members(found, limit=20, worst_first=worst_first)
            assert members["image_path"].notna().all(), found.description
            for path in members["image_path"]:
                with image.open(root / path) as picture:
                    picture.load()
                    assert picture.size == (128, 128)
                checked += 1
    bench.close()
    assert checked >= 200
