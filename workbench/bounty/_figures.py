"""Figures of a bounty: who found what (a heatmap) and how the error fell (a curve).

Both take the plain tables a :class:`~workbench.bounty.Bounty` returns and give
a plotly figure; plotly (the ``[app]`` or ``[bounty]`` extra) is imported here only.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.exceptions import MissingExtraError

__all__ = ["error_curve", "feature_heatmap"]


def _go() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise MissingExtraError.for_extra("bounty", "Bounty figures", "plotly") from None
    return go


def feature_heatmap(feature_use: pd.DataFrame) -> Any:
    """Submitters x features used by their accepted groups; darker = more use.

    Parameters
    ----------
    feature_use : DataFrame
        Counts, submitters as rows and features as columns (``Bounty.feature_use()``).
    """
    go = _go()
    figure = go.Figure()
    if feature_use.empty:
        figure.add_annotation(text="no accepted submissions yet", showarrow=False)
    else:
        figure.add_trace(
            go.Heatmap(
                z=feature_use.to_numpy(),
                x=[str(c) for c in feature_use.columns],
                y=[str(i) for i in feature_use.index],
                colorscale="Blues",
                colorbar={"title": "accepted groups"},
                hovertemplate="%{y} used %{x} in %{z} accepted group(s)<extra></extra>",
            )
        )
    figure.update_layout(
        title="Features used by each submitter's accepted groups",
        xaxis_title="feature",
        yaxis_title="submitter",
        height=max(260, 80 + 50 * max(1, len(feature_use.index))),
    )
    return figure


def error_curve(rounds: pd.DataFrame, *, alpha: float | None = None) -> Any:
    """The overall holdout error after each accepted update (round 0 = the base model).

    Parameters
    ----------
    rounds : DataFrame
        ``Bounty.rounds()``: round, overall_error, submitter, group, repairs.
    alpha : float, optional
        Shown in the title: each step falls by at least alpha.
    """
    go = _go()
    hover = [
        "base model" if pd.isna(submitter) else f"{submitter}: {group}<br>repairs: {repairs}"
        for submitter, group, repairs in zip(
            rounds["submitter"].tolist(),
            rounds["group"].tolist(),
            rounds["repairs"].fillna(0).astype(int).tolist(),
            strict=True,
        )
    ]
    figure = go.Figure(
        go.Scatter(
            x=rounds["round"],
            y=rounds["overall_error"],
            mode="lines+markers",
            line={"shape": "hv"},
            text=hover,
            hovertemplate="round %{x}: error %{y:.4f}<br>%{text}<extra></extra>",
        )
    )
    title = "Overall holdout error over accepted updates"
    if alpha is not None:
        title += f" (each falls by at least alpha = {alpha:g})"
    figure.update_layout(
        title=title,
        xaxis_title="accepted update (round)",
        yaxis_title="holdout error",
        xaxis={"dtick": 1},
    )
    return figure
