"""The audit app's "Bounty" step: a flagged slice becomes a bias-bounty submission.

The auditor picks a slice of their scan and one of a few stated scikit-learn
models; the model is trained on the auditor's own rows inside the slice and
written, with the slice's typed predicates, as a submission folder
(``group.json`` + ``h.skops``) that the owner certifies with ``workbench bounty
submit``. The owner's side shows a bounty's ledger and leaderboard. Uses the
public ``workbench`` API (``workbench.bounty``) and ipywidgets; scikit-learn and
skops are imported when a model is trained.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

import workbench as wb
from workbench.bounty import as_group

__all__ = ["BOUNTY_MODELS", "BountyStep"]


def _tree() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=6, min_samples_leaf=20, random_state=0)


def _logistic() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


#: The models an auditor may train in the app, by the name shown to them.
BOUNTY_MODELS: dict[str, Callable[[], Any]] = {
    "decision tree (depth 6, leaves of 20+ rows)": _tree,
    "logistic regression (one-hot, scaled)": _logistic,
}


def _pipeline(frame: pd.DataFrame, features: list[str], estimator: Any) -> Any:
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [
        c
        for c in features
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    categorical = [c for c in features if c not in numeric]
    parts = []
    if categorical:
        parts.append(
            (
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore", min_frequency=5),
                ),
                categorical,
            )
        )
    if numeric:
        parts.append((make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    return make_pipeline(make_column_transformer(*parts), estimator)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "slice"


class BountyStep(w.VBox):
    """Step 5 of the audit: turn a slice into a submission; show a bounty's ledger.

    Parameters
    ----------
    app : AuditApp
        The audit app whose data (``frame``), label column, features and scan
        (``findings``) the step uses.

    Examples
    --------
    >>> step = BountyStep(app)  # doctest: +SKIP
    >>> step.make_submission(app.findings[0].slice_id)  # doctest: +SKIP
    {'group': PosixPath('.../group.json'), 'model': PosixPath('.../h.skops'), ...}
    """

    def __init__(self, app: Any) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.add_class("wb-app")
        self.app = app
        self.submission: dict[str, Path] = {}
        self.slice_choice = w.Dropdown(description="Slice", layout=w.Layout(width="70%"))
        self.model_choice = w.Dropdown(
            description="Model",
            options=list(BOUNTY_MODELS),
            layout=w.Layout(width="70%"),
        )
        self.refresh_button = w.Button(description="Refresh slices")
        self.make_button = w.Button(
            description="Train and write submission", button_style="primary"
        )
        self.submission_html = w.HTML()
        self.ledger_path = w.Text(
            description="Bounty file",
            placeholder="bounty.duckdb",
            continuous_update=False,  # whole, before the button's click (see the explorer's note)
            layout=w.Layout(width="70%"),
        )
        self.ledger_button = w.Button(description="Show ledger")
        self.ledger_html = w.HTML()
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.make_button.on_click(
            lambda _b: self._guard(self.submission_html, self.make_submission)
        )
        self.ledger_button.on_click(
            lambda _b: self._guard(self.ledger_html, self.show_ledger, self.ledger_path.value)
        )
        self.children = [
            w.HTML(
                "<h3>Bounty: submit a better model for a slice</h3><p>Pick a slice of your scan "
                "and a model; it is trained on <b>your</b> rows inside the slice and written "
                "with the slice's conditions as a submission the model owner certifies on "
                "their holdout (<code>workbench bounty submit --group group.json --model "
                "h.skops --submitter NAME</code>).</p>"
            ),
            w.HBox([self.slice_choice, self.refresh_button]),
            self.model_choice,
            self.make_button,
            self.submission_html,
            w.HTML("<h4>Owner: ledger of a bounty</h4>"),
            w.HBox([self.ledger_path, self.ledger_button]),
            self.ledger_html,
        ]
        self.refresh()

    def _guard(self, target: w.HTML, action: Callable[..., Any], *args: Any) -> Any:
        try:
            return action(*args)
        except wb.WorkbenchError as exc:
            target.value = f"<p style='color:#b00020'>{html.escape(str(exc))}</p>"
            return None

    def refresh(self) -> None:
        """List the scan's slices, flagged ones first."""
        findings = getattr(self.app, "findings", None)
        if not findings:
            self.slice_choice.options = []
            return
        ordered = sorted(findings, key=lambda s: (not s.flagged,))
        self.slice_choice.options = [
            (f"{'⚑ ' if s.flagged else ''}{s.slice_id}: {s.description}", s.slice_id)
            for s in ordered
        ]

    def make_submission(
        self, slice_id: str | None = None, model: str | None = None
    ) -> dict[str, Path]:
        """Train the chosen model on the auditor's rows in the slice and write the submission.

        Returns the paths of ``group.json``, ``h.skops`` and ``submission.json`` (what
        was trained on, and the auditor's own held-back estimate of the gain).
        """
        findings = getattr(self.app, "findings", None)
        frame = getattr(self.app, "frame", None)
        if not findings or frame is None:
            raise wb.DataError(
                "There is no scan yet. Expected a scan's slices to choose from. Fix: run "
                "step 3 (find failing slices) first."
            )
        slice_id = slice_id or self.slice_choice.value
        model = model or str(self.model_choice.value)
        if model not in BOUNTY_MODELS:
            raise wb.ParameterError(
                f"Unknown model {model!r}. Expected one of: {', '.join(BOUNTY_MODELS)}."
            )
        chosen = findings.get(str(slice_id))
        label = str(self.app.label_choice.value)
        prediction = str(self.app.prediction_choice.value)
        features = [c for c in self.app.selected_features if c not in (label, prediction)]
        group = as_group(chosen)
        rows = group.mask(frame) & frame[label].notna().to_numpy()
        if rows.sum() < 20 or frame.loc[rows, label].nunique() < 2:
            raise wb.DataError(
                f"The slice {chosen.description} has {int(rows.sum())} labelled rows with "
                f"{frame.loc[rows, label].nunique()} classes in your data. Expected at least "
                "20 rows and two classes to train a model. Fix: pick a larger slice."
            )
        import skops.io as sio

        rng = np.random.default_rng(0)
        fit = rng.random(len(frame)) < 0.7
        check = rows & ~fit
        estimate = _pipeline(frame, features, BOUNTY_MODELS[model]()).fit(
            frame.loc[rows & fit, features], frame.loc[rows & fit, label]
        )
        current_wrong = (
            frame.loc[check, prediction].astype(str) != frame.loc[check, label].astype(str)
        ).sum()
        new_wrong = (
            estimate.predict(frame.loc[check, features]).astype(str)
            != frame.loc[check, label].astype(str).to_numpy()
        ).sum()
        own_gain = float((current_wrong - new_wrong) / max(1, int((~fit).sum())))
        h = _pipeline(frame, features, BOUNTY_MODELS[model]()).fit(
            frame.loc[rows, features], frame.loc[rows, label]
        )
        folder = Path(self.app.workdir) / "bounty" / _safe_name(str(slice_id))
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "group": folder / "group.json",
            "model": folder / "h.skops",
            "summary": folder / "submission.json",
        }
        paths["group"].write_text(json.dumps(group.to_records(), indent=2), encoding="utf-8")
        sio.dump(h, paths["model"])
        summary = {
            "slice_id": slice_id,
            "group": group.description,
            "model": model,
            "features": features,
            "label": label,
            "trained_on_rows": int(rows.sum()),
            "own_estimate_of_mu_delta": own_gain,
            "submit_with": "workbench bounty submit --group group.json --model h.skops "
            "--submitter NAME",
        }
        paths["summary"].write_text(json.dumps(summary, indent=2), encoding="utf-8")
        self.submission = paths
        self.submission_html.value = (
            f"<p>Wrote the submission for <b>{html.escape(group.description)}</b> "
            f"({int(rows.sum())} of your rows, {html.escape(model)}); your own held-back "
            f"estimate of μ·Δ is {own_gain:+.4f}.</p><ul>"
            + "".join(f"<li><code>{html.escape(str(p))}</code></li>" for p in paths.values())
            + "</ul>"
        )
        return paths

    def show_ledger(self, path: str | Path) -> pd.DataFrame:
        """Show the ledger and leaderboard of the bounty at ``path``; return the ledger."""
        if not str(path).strip():
            raise wb.ParameterError(
                "Expected the path of a bounty file (bounty.duckdb). Got nothing."
            )
        with wb.Bounty.open(path) as bounty:
            ledger = bounty.ledger()
            board = bounty.leaderboard()
            state = repr(bounty)
        columns = [
            "submission_id",
            "submitter",
            "group",
            "verdict",
            "mu",
            "current_error",
            "candidate_error",
            "improvement",
            "p_value",
            "overall_error_after",
        ]
        self.ledger_html.value = (
            f"<p>{html.escape(state)}</p>"
            + ledger[columns].to_html(index=False, float_format=lambda v: f"{v:.4g}")
            + "<h4>Leaderboard</h4>"
            + board.to_html(index=False, float_format=lambda v: f"{v:.4g}")
        )
        return ledger
