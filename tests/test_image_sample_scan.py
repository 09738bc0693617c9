"""The scan over the image sample's measured descriptors finds the dim-light x dark-skin slice."""

from __future__ import annotations

import workbench as wb

DESCRIPTORS = [
    "skin_tone",
    "lighting",
    "contrast",
    "color_cast",
    "scene",
    "luminance_mean",
    "sharpness",
    "colourfulness",
]


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
