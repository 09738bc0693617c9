"""The explorer in marimo (run: marimo edit notebooks/06_marimo_explorer.py).

Inside marimo ``bench.explore()`` returns the explorer built from anywidgets only
(marimo shows those through ``mo.ui.anywidget``, not ipywidgets): the slice table,
the error-by-slice chart and, below them, the chosen slice's drill-down with its
actions: narrow it down by a condition, flag it with a note, export its rows or the
flagged slices (downloaded by the browser, whatever their size). ``explorer.table``
is also a marimo UI element: the last cell reacts to the selected row.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    import workbench as wb

    return mo, wb


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
    bench.scan(k=10, max_predicates=3, min_support=0.01)
    return (bench,)


@app.cell
def _(bench):
    explorer = bench.explore()
    table = explorer.table
    explorer
    return (table,)


@app.cell
def _(mo, table):
    mo.md(f"Selected in the table: **{table.value.get('selected') or 'none'}**")
    return


if __name__ == "__main__":
    app.run()
