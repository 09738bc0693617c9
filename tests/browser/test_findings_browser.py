"""What the explorer shows of findings, in real Chromium (Voilà).

The groups view opened by a person (features and metrics picked in the page) shows
the numbers of ``Workbench.by_group`` and exports them as CSV; each slice shows its
other descriptions and how its p-value was corrected; the drill-down says which
values carry the slice's errors; the scan's notes are listed, and a scan run from
the page with the ranking and alpha controls that finds fewer slices than asked says
so prominently. An axe-core check runs over the whole explorer at the end.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROW = ".wb-explorer .wbt-row"
N_SLICES = 10
POSITIVE = ">50K"


@pytest.fixture(scope="module")
def served(voila_folder: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store with the Adult sample's default scan, the by_group tables the page must show,
    and the URL of a notebook that opens the store's explorer."""
    import workbench as wb
    from workbench.metrics import get_metric

    folder = tmp_path_factory.mktemp("findings")
    store = folder / "findings.duckdb"
    with wb.Workbench.from_predictions(
        wb.sample_path("adult"),
        label="income",
        prediction="pred_v1",
        score="proba_v1",
        exclude="pred_v2,proba_v2",
        path=store,
    ) as bench:
        findings = bench.scan(k=N_SLICES, max_predicates=3, min_support=0.01)
        # the features menu keeps the data's column order: race before sex
        expected = bench.by_group(
            ["race", "sex"],
            metrics=["error_rate", get_metric("false_negative_rate", pos_label=POSITIVE)],
        )
    source = (
        "import workbench as wb\n"
        f"bench = wb.Workbench.open({str(store)!r})\n"
        f"bench.explore(export_dir={str(folder / 'exports')!r})"
    )
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }
    nb = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / "findings.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return {
        "url": str(voila_folder(folder)) + "findings.ipynb",
        "findings": findings,
        "expected": expected,
    }


def values(page: Any, key: str) -> list[float]:
    return [
        float(v)
        for v in page.eval_on_selector_all(
            f"[data-testid=group-table] tbody td[data-key='{key}']",
            "cells => cells.map(c => c.getAttribute('data-value'))",
        )
    ]


@pytest.mark.timeout(420)
@pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"])
def test_groups_descriptions_corrections_and_notes(
    browser: Any, served: dict[str, Any], artifacts: Path
) -> None:
    findings, expected = served["findings"], served["expected"]
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(served["url"], timeout=180_000)
        page.wait_for_function(
            f"document.querySelectorAll({ROW!r}).length === {N_SLICES}", timeout=150_000
        )

        # Each slice: its other descriptions and how its p-value was corrected.
        also = [s for s in findings if s.also_described_as]
        assert also, "the default scan of the Adult sample folds near-duplicates"
        first = also[0]
        row = page.locator(f"{ROW}[data-slice-id='{first.slice_id}']")
        assert (
            row.locator("[data-testid=also-described-as]")
            .inner_text()
            .startswith(f"also described as {first.also_described_as[0]}")
        )
        tags = page.locator(f"{ROW} [data-testid=p-tag]").all_inner_texts()
        assert [t.strip() for t in tags] == ["adj."] * N_SLICES
        assert row.locator("[data-testid=p-tag]").get_attribute("title") == (
            first.p_value_correction.replace("Benjamini-Hochberg", "BH")
        )
        row.click()
        drill_also = page.locator(".wb-explorer details[data-testid=also-described-as]")
        drill_also.wait_for()
        drill_also.locator("summary").click()
        listed = drill_also.locator("li").all_inner_texts()
        assert listed == list(first.also_described_as)
        correction = page.locator("[data-testid=p-correction]").inner_text()
        assert correction == first.p_value_correction.replace("Benjamini-Hochberg", "BH")
        # Which values carry the slice's errors: one card per feature not in its definition.
        carriers = page.locator("[data-testid=error-values] .wb-dist")
        own = {p.feature for p in first.predicates}
        assert carriers.count() > 0
        assert not own & set(carriers.evaluate_all("cs => cs.map(c => c.dataset.feature)"))
        page.locator("[data-testid=error-values]").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "findings-error-values.png"))

        # The scan's notes, folded when the scan found the slices it was asked for.
        notes = page.locator(".wb-explorer details[data-testid=scan-notes]")
        notes.locator("summary").click()
        shown = notes.locator("li").all_inner_texts()
        assert shown == list(findings.notes)

        # Groups: pick features and metrics as a person would, then compare with by_group.
        groups = page.locator(".wb-groups")
        groups.get_by_label("Features").select_option(label=["sex", "race"])
        groups.get_by_label("Metrics").select_option(label=["error rate", "false negative rate"])
        assert groups.get_by_label("Positive class").input_value() is not None
        groups.get_by_role("button", name="Show groups").click()
        page.locator("[data-testid=group-table]").wait_for()
        assert page.locator("[data-testid=group-row]").count() == len(expected)
        assert values(page, "count") == expected["count"].tolist()
        for name in ("error_rate", "false_negative_rate"):
            assert values(page, name) == pytest.approx(expected[name].tolist(), abs=1e-15)
            assert values(page, f"{name}_difference") == pytest.approx(
                expected[f"{name}_difference"].tolist(), abs=1e-15
            )
            assert values(page, f"{name}_ratio") == pytest.approx(
                expected[f"{name}_ratio"].tolist(), abs=1e-15
            )
        overall = page.eval_on_selector(
            "[data-testid=group-overall] td[data-key='false_negative_rate']",
            "c => c.getAttribute('data-value')",
        )
        assert float(overall) == pytest.approx(expected.attrs["overall"]["false_negative_rate"])
        page.locator("[data-testid=group-table]").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "findings-groups.png"))

        groups.get_by_role("button", name="Export groups (CSV)").click()
        link = groups.locator("a[data-testid=download]")
        link.wait_for()
        with page.expect_download() as info:
            link.click()
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
        assert [(r["race"], r["sex"]) for r in rows] == list(
            zip(expected["race"], expected["sex"], strict=True)
        )
        assert [float(r["false_negative_rate"]) for r in rows] == pytest.approx(
            expected["false_negative_rate"].tolist(), rel=1e-12
        )

        # Accessibility of everything shown so far (groups table, drill-down, notes).
        axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
        results = axe_module.Axe().run(
            page,
            context={"include": [[".wb-explorer"]]},
            options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}},
        )
        violations = [
            (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
        ]
        assert violations == [], violations

        # A scan from the page's controls (SliceLine's ranking, alpha) that finds fewer
        # slices than asked says so, with what to change.
        page.get_by_label("Ranking").select_option("sliceline")
        alpha = page.get_by_label("Alpha")
        # Alpha is enabled by the kernel once it hears of the ranking: wait for the round trip.
        page.wait_for_function("el => !el.disabled", arg=alpha.element_handle(), timeout=30_000)
        alpha.fill("0.9")
        alpha.press("Enter")
        page.get_by_label("Slices", exact=True).fill("40")
        page.get_by_label("Slices", exact=True).press("Enter")
        page.get_by_label("Min support").fill("0.2")
        page.get_by_label("Min support").press("Enter")
        page.get_by_role("button", name="Run scan").click()
        lead = page.locator("[data-testid=scan-notes-lead]")
        lead.wait_for(timeout=120_000)
        assert lead.inner_text().startswith("Only ")
        assert "of the 40 slices asked for" in lead.inner_text()
        advice = page.locator("[data-testid=scan-notes-advice]").inner_text()
        assert 'ranking "excess"' in advice and "lower min support" in advice
        page.locator("[data-testid=scan-notes]").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "findings-few-slices.png"))
        results = axe_module.Axe().run(
            page,
            context={"include": [["[data-testid=scan-notes]"]]},
            options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}},
        )
        assert results.response["violations"] == []
    finally:
        context.close()
