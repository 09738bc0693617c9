"""The explorer's table and drill-down in marimo (run: marimo edit notebooks/06_marimo_explorer.py).

marimo shows anywidgets through ``mo.ui.anywidget``: the slice table is one, and a
click on a row (its ``selected`` trait) re-runs the cell that shows that slice's
drill-down. The ipywidgets parts of ``bench.explore()`` (buttons, refine, flag)
are for JupyterLab, Notebook, VS Code and Voilà.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    import workbench as wb
    from workbench.widgets import SliceTable, drill_down_html

    return SliceTable, drill_down_html, mo, wb


@app.cell
def _(wb):
    bench = wb.Workbench.from_predictions(
        wb.sample_path("adult"),
        label="income",
        prediction="pred_v1",
        score="proba_v1",
        exclude="pred_v2,proba_v2",
        path=":memory:",
    )
    findings = bench.scan(k=10, max_predicates=3, min_support=0.01)
    return bench, findings


@app.cell
def _(SliceTable, findings, mo):
    table = mo.ui.anywidget(SliceTable(findings, selected=findings[0].slice_id))
    table
    return (table,)


@app.cell
def _(bench, drill_down_html, findings, mo, table):
    chosen = table.value.get("selected") or findings[0].slice_id
    mo.Html(drill_down_html(bench, chosen))
    return


if __name__ == "__main__":
    app.run()
