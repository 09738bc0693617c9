"""A bias bounty (Globus-Harris, Kearns & Roth, FAccT 2022): certify, update, repair, record.

The owner keeps a holdout that submitters never see. A submission (g, h) is
certified on it (accept iff mu(g) * (err(f_t | g) - err(h | g)) >= alpha),
an accepted one is put in front of the pointer decision list, and every
earlier certified group that got worse is pointed back to the version where
its error was best, until none is worse. Everything — holdout, ledger, list,
rounds — lives in one DuckDB file; model files sit next to it, named by their
SHA-256. Every write is one transaction. This module is the bounty's only
DuckDB speaker; it imports duckdb, numpy, pandas and the bounty's modules.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from workbench._version import __version__
from workbench.bounty._certify import (
    Certificate,
    certify,
    default_budget,
    holdout_rows_needed,
)
from workbench.bounty._groups import Group, as_group, check_group_data
from workbench.bounty._models import (
    LoadedModel,
    load_model_file,
    model_from_object,
    store_model_file,
)
from workbench.bounty._pdl import Node, PointerDecisionList
from workbench.exceptions import (
    DataError,
    EmptyDataError,
    LabelError,
    ModelError,
    ParameterError,
    StoreError,
)

__all__ = ["Bounty", "SubmissionResult"]

BOUNTY_FORMAT = 1
_MAX_REPAIRS = 10_000

_SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE models (
    model_id VARCHAR PRIMARY KEY, kind VARCHAR, file VARCHAR, name VARCHAR,
    trusted_types VARCHAR, role VARCHAR, submitter VARCHAR, added_at TIMESTAMP);
CREATE TABLE ledger (
    submission_id INTEGER PRIMARY KEY, submitted_at TIMESTAMP, submitter VARCHAR,
    group_description VARCHAR, group_json VARCHAR, features VARCHAR, model_id VARCHAR,
    model_kind VARCHAR, verdict VARCHAR, reason VARCHAR, n_group INTEGER, mu DOUBLE,
    current_error DOUBLE, current_error_ci_low DOUBLE, current_error_ci_high DOUBLE,
    candidate_error DOUBLE, candidate_error_ci_low DOUBLE, candidate_error_ci_high DOUBLE,
    delta DOUBLE, improvement DOUBLE, alpha DOUBLE, p_value DOUBLE,
    overall_error_before DOUBLE, overall_error_after DOUBLE, round INTEGER,
    repairs INTEGER, holdout_generation INTEGER, note VARCHAR, report VARCHAR);
CREATE TABLE nodes (
    position INTEGER PRIMARY KEY, group_json VARCHAR, group_description VARCHAR,
    model_id VARCHAR, version INTEGER, round INTEGER, reason VARCHAR, submission_id INTEGER);
CREATE TABLE rounds (
    round INTEGER PRIMARY KEY, n_nodes INTEGER, overall_error DOUBLE, submission_id INTEGER,
    repairs INTEGER, holdout_generation INTEGER, created_at TIMESTAMP);
CREATE TABLE certified (
    submission_id INTEGER PRIMARY KEY, group_json VARCHAR, group_description VARCHAR,
    round_accepted INTEGER, n_group INTEGER, best_errors INTEGER, best_version INTEGER,
    best_round INTEGER);
"""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class SubmissionResult:
    """What the owner tells a submitter: the verdict and the numbers behind it.

    ``report`` holds mu, both errors with 95 % intervals, Delta, mu*Delta, alpha,
    the one-sided paired test, the overall holdout error before and after, the
    repairs made, and why the submission was accepted or not.
    """

    submission_id: int
    accepted: bool
    report: dict[str, Any]
    certificate: Certificate = field(repr=False)
    repairs: tuple[int, ...] = ()

    def __str__(self) -> str:
        r = self.report
        lines = [
            f"submission {self.submission_id} by {r['submitter']}: "
            f"{'ACCEPTED' if self.accepted else 'rejected'}",
            f"  group: {r['group']} ({r['n_group']} holdout rows, mu = {r['mu']:.4f})",
            f"  current model error on g: {r['current_error']:.4f} "
            f"[{r['current_error_ci_low']:.4f}, {r['current_error_ci_high']:.4f}]",
            f"  submitted model error on g: {r['candidate_error']:.4f} "
            f"[{r['candidate_error_ci_low']:.4f}, {r['candidate_error_ci_high']:.4f}]",
            f"  one-sided paired test p = {r['p_value']:.3g}",
            f"  {r['reason']}",
        ]
        if self.accepted:
            lines.append(
                f"  overall holdout error {r['overall_error_before']:.4f} -> "
                f"{r['overall_error_after']:.4f}; repairs: {len(self.repairs)}; "
                f"{r['updates_left']} updates left on this holdout"
            )
        return "\n".join(lines)


@dataclass
class _Certified:
    submission_id: int
    group: Group
    mask: np.ndarray
    round_accepted: int
    best_errors: int
    best_version: int
    best_round: int


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParameterError(
            f"The 'alpha' parameter of Bounty.create must be a number in (0, 1): the least "
            f"mu * Delta (share of holdout rows times error gain) an update must show. Got "
            f"{alpha!r}. Fix: e.g. alpha=0.01."
        )
    return float(alpha)


def _normalizer(y: pd.Series) -> Callable[[Any], np.ndarray]:
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)

    def normalize(values: Any) -> np.ndarray:
        array = np.asarray(values)
        if numeric:
            try:
                return np.asarray(array, dtype=np.float64)
            except (TypeError, ValueError):
                shown = ", ".join(repr(v) for v in pd.unique(array.astype(str))[:5])
                raise LabelError(
                    f"The model predicts non-numeric labels ({shown}) but the holdout labels are "
                    "numbers. Expected labels in the holdout's vocabulary. Fix: train the model "
                    "on the same label encoding."
                ) from None
        return np.asarray([str(v) for v in array.tolist()], dtype=object)

    return normalize


class Bounty:
    """A bias bounty: a holdout, a pointer decision list, and a ledger in one DuckDB file.

    Create one with :meth:`create`, reopen it with :meth:`open`. Not thread-safe:
    one process writes a bounty at a time.

    Examples
    --------
    >>> bounty = Bounty.create("bounty.duckdb", model=f0, X=X_holdout, y=y_holdout,
    ...                        alpha=0.01)  # doctest: +SKIP
    >>> result = bounty.submit({"sex": "Female", "age": (26, 33)}, "h.skops",
    ...                        submitter="team-a")  # doctest: +SKIP
    >>> result.accepted, result.report["improvement"]  # doctest: +SKIP
    """

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        # Use Bounty.create or Bounty.open.
        self.path = path
        self._con = connection
        self._meta: dict[str, Any] = {}
        self._X = pd.DataFrame()
        self._y_raw = pd.Series(dtype=object)
        self._y = np.empty(0)
        self._normalize: Callable[[Any], np.ndarray] = np.asarray
        self._pdl: PointerDecisionList
        self._versions: dict[int, np.ndarray] = {}
        self._certified: list[_Certified] = []
        self._group_masks: dict[str, np.ndarray] = {}
        self._unavailable = ""

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        model: Any,
        X: pd.DataFrame,
        y: Any,
        alpha: float,
        metric: str = "error_rate",
        budget: int | None = None,
        delta: float = 0.05,
        trusted_types: Iterable[str] = (),
        overwrite: bool = False,
    ) -> Bounty:
        """Start a bounty on the owner's model and holdout.

        Parameters
        ----------
        path : path
            The DuckDB file to create; model files go to ``<path stem>.models/``.
        model : estimator, callable or path
            f_0: a fitted scikit-learn estimator (saved with skops), a skops or ONNX
            file, or a callable ``X -> labels`` (kept in memory; pass it again to
            :meth:`open`).
        X, y : DataFrame, array-like or str
            The holdout: raw feature columns and the labels (or the name of the
            label column of ``X``). Submitters never see it.
        alpha : float
            The least ``mu * Delta`` an update must show on the holdout.
        metric : str
            ``"error_rate"`` (0/1 misclassification), the metric of the paper.
        budget : int, optional
            Updates this holdout may certify; default ``floor(2 / alpha)``.
        delta : float
            Failure probability of the holdout bound (see ``holdout_rows_needed``).
        trusted_types : iterable of str
            Types beyond scikit-learn's that submitted skops files may hold.
        overwrite : bool
            Replace an existing file at ``path``.
        """
        file = Path(path)
        if file.exists() and not overwrite:
            raise StoreError(
                f"A file already exists at {str(file)!r}. Expected a new path for a new "
                "bounty. Fix: reopen it with Bounty.open(path), or pass overwrite=True."
            )
        alpha = _check_alpha(alpha)
        if metric != "error_rate":
            raise ParameterError(
                f"The bounty certifies with metric='error_rate' (0/1 misclassification, the "
                f"bounded loss the holdout bound needs). Got metric={metric!r}. Fix: use "
                "metric='error_rate'."
            )
        if budget is None:
            budget = default_budget(alpha)
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise ParameterError(
                f"The 'budget' parameter must be an int >= 1 (updates one holdout certifies). "
                f"Got {budget!r}. Fix: leave it out for floor(2 / alpha) = "
                f"{default_budget(alpha)}."
            )
        if not isinstance(delta, float | int) or not 0 < delta < 1:
            raise ParameterError(f"The 'delta' parameter must be in (0, 1). Got {delta!r}.")
        X, y_series = _check_holdout(X, y)
        needed = holdout_rows_needed(alpha, budget, float(delta))
        if len(X) < needed:
            raise DataError(
                f"The holdout has {len(X)} rows, too few for alpha = {alpha:g} with a budget of "
                f"{budget} updates: the holdout bound 8 ln(budget / delta) / alpha^2 needs "
                f"{needed} rows (delta = {delta:g}). Fix: give more holdout rows, raise alpha, "
                "or lower the budget."
            )
        if file.exists():
            file.unlink()
            Path(str(file) + ".wal").unlink(missing_ok=True)
        models_dir = _models_dir(file)
        trusted = tuple(trusted_types)
        with tempfile.TemporaryDirectory() as staging:
            base = model_from_object(model, Path(staging), trusted_types=trusted)
            if base.file is not None:
                base = store_model_file(base, models_dir)
        con = duckdb.connect(str(file))
        if con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() != (0,):
            con.close()
            raise StoreError(
                f"The bounty file {str(file)!r} is still open in this process, so it cannot be "
                "replaced. Expected it closed. Fix: call close() on the old Bounty first."
            )
        bounty = cls(file, con)
        try:
            con.begin()
            con.execute(_SCHEMA)
            holdout = X.copy()
            holdout["__row__"] = np.arange(len(X))
            con.register("holdout_view", holdout)
            con.execute("CREATE TABLE holdout_x AS SELECT * FROM holdout_view")
            con.unregister("holdout_view")
            labels = pd.DataFrame({"__row__": np.arange(len(X)), "label": y_series.to_numpy()})
            con.register("labels_view", labels)
            con.execute("CREATE TABLE holdout_y AS SELECT * FROM labels_view")
            con.unregister("labels_view")
            meta = {
                "format": BOUNTY_FORMAT,
                "workbench_version": __version__,
                "created_at": _now().isoformat(timespec="seconds"),
                "alpha": alpha,
                "budget": budget,
                "delta": float(delta),
                "metric": metric,
                "trusted_types": list(trusted),
                "base_model": base.fingerprint,
                "holdout_generation": 1,
                "holdout_rows": len(X),
                "label": str(y_series.name) if y_series.name is not None else "label",
            }
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
            )
            _insert_model(con, base, "base", "owner", models_dir)
            bounty._meta = meta
            bounty._load_holdout()
            bounty._pdl = PointerDecisionList(base, (), {})
            base_pred = bounty._checked_predictions(base, bounty._X, "base model")
            bounty._versions = {0: base_pred}
            con.execute(
                "INSERT INTO rounds VALUES (0, 0, ?, NULL, 0, 1, ?)",
                [bounty._overall_error(0), _now()],
            )
            con.commit()
        except BaseException:
            con.rollback()
            con.close()
            file.unlink(missing_ok=True)
            raise
        return bounty

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        callables: Sequence[Callable[..., Any]] = (),
        trusted_types: Iterable[str] | None = None,
    ) -> Bounty:
        """Reopen a bounty: the holdout, the list (models checked by SHA-256) and the ledger.

        Parameters
        ----------
        path : path
            The DuckDB file written by :meth:`create`.
        callables : sequence of callables
            The Python callables used as models (matched by fingerprint); they are
            not stored.
        trusted_types : iterable of str, optional
            Overrides the stored list of extra trusted skops types.
        """
        file = Path(path)
        if not file.is_file():
            raise StoreError(
                f"No bounty at {str(file)!r}. Expected a file written by Bounty.create. "
                "Check the path."
            )
        try:
            con = duckdb.connect(str(file))
            rows = con.execute("SELECT key, value FROM meta").fetchall()
        except duckdb.Error as exc:
            raise StoreError(
                f"{str(file)!r} is not a bounty store ({type(exc).__name__}: {exc}). Expected a "
                "file written by Bounty.create."
            ) from None
        bounty = cls(file, con)
        bounty._meta = {k: json.loads(v) for k, v in rows}
        if bounty._meta.get("format", 0) > BOUNTY_FORMAT:
            con.close()
            raise StoreError(
                f"The bounty {str(file)!r} was written by a newer release (format "
                f"{bounty._meta['format']}). Upgrade slice-workbench to open it."
            )
        trusted = tuple(
            bounty._meta.get("trusted_types", []) if trusted_types is None else trusted_types
        )
        bound = {}
        from workbench.bounty._models import _callable_fingerprint

        for function in callables:
            bound[_callable_fingerprint(function)] = function
        models: dict[str, LoadedModel] = {}
        for model_id, kind, name, file_name in con.execute(
            "SELECT model_id, kind, name, file FROM models"
        ).fetchall():
            models[model_id] = _reload(file, model_id, kind, name, file_name, trusted, bound)
        bounty._load_holdout()
        nodes = [
            Node(
                Group.from_records(json.loads(group_json)),
                model_id,
                version,
                round_,
                reason,
                submission_id,
            )
            for group_json, model_id, version, round_, reason, submission_id in con.execute(
                "SELECT group_json, model_id, version, round, reason, submission_id FROM nodes "
                "ORDER BY position"
            ).fetchall()
        ]
        base = models[bounty._meta["base_model"]]
        bounty._pdl = PointerDecisionList(base, nodes, models)
        try:
            bounty._versions = {0: bounty._checked_predictions(base, bounty._X, "base model")}
            for length in range(1, len(nodes) + 1):
                bounty._versions[length] = bounty._extend(
                    bounty._versions, nodes[length - 1], length
                )
        except ModelError as exc:
            # The ledger stays readable; certifying and predicting need every model.
            bounty._versions = {}
            bounty._unavailable = str(exc)
        for sid, group_json, round_acc, _n, best, version, best_round in con.execute(
            "SELECT submission_id, group_json, round_accepted, n_group, best_errors, "
            "best_version, best_round FROM certified ORDER BY submission_id"
        ).fetchall():
            group = Group.from_records(json.loads(group_json))
            bounty._certified.append(
                _Certified(sid, group, bounty._mask(group), round_acc, best, version, best_round)
            )
        return bounty

    # ------------------------------------------------------------------ state
    def close(self) -> None:
        """Close the DuckDB file."""
        self._con.close()

    def __enter__(self) -> Bounty:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        error = "models not loaded" if self._unavailable else f"{self.overall_error:.4f}"
        return (
            f"Bounty({self.path.name}: alpha={self.alpha:g}, {len(self._X)} holdout rows, "
            f"{self.accepted_count}/{self.budget} updates on this holdout, "
            f"overall error {error})"
        )

    def _require_models(self) -> None:
        if self._unavailable:
            raise ModelError(self._unavailable)

    @property
    def model(self) -> PointerDecisionList:
        """The current pointer decision list (``model.predict(X)``)."""
        return self._pdl

    @property
    def alpha(self) -> float:
        return float(self._meta["alpha"])

    @property
    def budget(self) -> int:
        return int(self._meta["budget"])

    @property
    def accepted_count(self) -> int:
        """Updates accepted on the current holdout."""
        row = self._con.execute(
            "SELECT count(*) FROM ledger WHERE verdict = 'accepted' AND holdout_generation = ?",
            [self._meta["holdout_generation"]],
        ).fetchone()
        return int(row[0]) if row else 0

    @property
    def spent(self) -> bool:
        """Whether the holdout has certified its budget of updates and must be refreshed."""
        return self.accepted_count >= self.budget

    @property
    def overall_error(self) -> float:
        """The current list's error on the holdout."""
        return self._overall_error(len(self._pdl))

    # ------------------------------------------------------------------ holdout
    def _load_holdout(self) -> None:
        X = self._con.execute("SELECT * FROM holdout_x ORDER BY __row__").df()
        self._X = X.drop(columns="__row__")
        y = self._con.execute("SELECT label FROM holdout_y ORDER BY __row__").df()["label"]
        self._y_raw = y.rename(self._meta.get("label", "label"))
        self._normalize = _normalizer(self._y_raw)
        self._y = self._normalize(self._y_raw.to_numpy())
        self._group_masks = {}

    def _mask(self, group: Group) -> np.ndarray:
        key = group.key
        if key not in self._group_masks:
            self._group_masks[key] = group.mask(self._X)
        return self._group_masks[key]

    def _overall_error(self, version: int) -> float:
        self._require_models()
        return float(np.mean(self._versions[version] != self._y))

    def _vocabulary(self) -> set[Any]:
        return set(self._y.tolist()) | set(self._versions.get(0, np.empty(0)).tolist())

    def _checked_predictions(self, model: LoadedModel, X: pd.DataFrame, role: str) -> np.ndarray:
        predicted = self._normalize(model.predict(X))
        known = set(self._y.tolist())
        if role != "base model":
            known |= self._vocabulary()
        unknown = sorted({str(v) for v in predicted.tolist() if v not in known})
        if role == "base model" and len(unknown) == len(set(predicted.tolist())):
            unknown_shown = ", ".join(unknown[:5])
            raise LabelError(
                f"The base model predicts none of the holdout's labels (it predicts "
                f"{unknown_shown}; labels: {', '.join(sorted(map(str, known))[:5])}). Expected "
                "labels in the holdout's vocabulary. Fix: map the labels, or the predictions."
            )
        if role != "base model" and unknown:
            raise LabelError(
                f"The {role} predicts labels the holdout does not use: {', '.join(unknown[:5])}. "
                f"Expected labels among {', '.join(sorted(map(str, known))[:10])}. Fix: train "
                "the model on the same label values (e.g. '>50K', not 1)."
            )
        return predicted

    def _extend(self, versions: dict[int, np.ndarray], node: Node, length: int) -> np.ndarray:
        """Holdout predictions of the version with ``length`` nodes (node = its front)."""
        previous = versions[length - 1]
        mask = self._mask(node.group)
        out = previous.copy()
        if node.version is not None:
            out[mask] = versions[node.version][mask]
        elif mask.any():
            leaf = self._pdl.models.get(node.model_id or "")
            if leaf is None:
                raise ModelError(
                    f"The node for submission {node.submission_id} needs model "
                    f"{str(node.model_id)[:16]}, which is not loaded. Fix: restore its file, or "
                    "pass the callable to Bounty.open(callables=[...])."
                )
            out[mask] = self._normalize(leaf.predict(self._X.loc[mask].reset_index(drop=True)))
        return out

    # ------------------------------------------------------------------ submissions
    def submit(
        self,
        group: Any,
        model: Any,
        *,
        submitter: str,
        note: str = "",
    ) -> SubmissionResult:
        """Certify a submission (g, h) on the holdout; accept, update and repair.

        Parameters
        ----------
        group : mapping, Slice, predicates or path
            g: ``{"sex": "Female", "age": (26, 33)}``, a scan's Slice, typed
            predicates, or a JSON group or claim file. Never SQL or code.
        model : path, estimator or callable
            h: a ``.skops`` or ``.onnx`` file, a fitted scikit-learn estimator, or a
            callable ``X -> labels``. Pickles are refused.
        submitter : str
            Who submits (a team name).
        note : str
            The submitter's words, kept in the ledger.

        Returns
        -------
        SubmissionResult
            ``accepted`` and ``report`` (mu, errors with 95 % intervals, Delta,
            mu*Delta, the one-sided paired test, the reason).

        Raises
        ------
        DataError, ParameterError, InputFileError, ModelError, LabelError
            A bad submission; the ledger and the list are left unchanged.
        """
        self._require_models()
        if not isinstance(submitter, str) or not submitter.strip():
            raise ParameterError(
                f"Expected submitter='<team name>' (a non-empty string). Got {submitter!r}."
            )
        if self.spent:
            raise DataError(
                f"The holdout is spent: it has certified {self.accepted_count} updates, its "
                f"budget (floor(2 / alpha) = {default_budget(self.alpha)}, or the owner's "
                f"{self.budget}). Expected a fresh holdout before more certifications. Fix: the "
                "owner calls bounty.refresh_holdout(X_new, y_new) with rows never used before."
            )
        g = as_group(group)
        g.check_columns(list(self._X.columns))
        mask = check_group_data(g, self._X)
        with tempfile.TemporaryDirectory() as staging:
            loaded = model_from_object(model, Path(staging), trusted_types=self._trusted())
            rows = self._X.loc[mask].reset_index(drop=True)
            h_pred = self._checked_predictions(loaded, rows, "submitted model")
            self._check_repeat(g, loaded, h_pred)
            length = len(self._pdl)
            current = self._versions[length]
            cert = certify(
                current[mask] != self._y[mask], h_pred != self._y[mask], len(self._X), self.alpha
            )
            if not cert.accepted:
                return self._record(g, loaded, cert, submitter, note, None)
            new_file = None
            if loaded.file is not None:
                known = {m.fingerprint for m in self._pdl.models.values()}
                loaded = store_model_file(loaded, _models_dir(self.path))
                new_file = None if loaded.fingerprint in known else loaded.file
            try:
                return self._record(g, loaded, cert, submitter, note, (mask, h_pred))
            except BaseException:
                if new_file is not None:
                    new_file.unlink(missing_ok=True)
                raise

    def _trusted(self) -> tuple[str, ...]:
        return tuple(self._meta.get("trusted_types", []))

    def _check_repeat(self, group: Group, model: LoadedModel, h_pred: np.ndarray) -> None:
        key = group.key
        for node in self._pdl.nodes:
            if node.reason != "update" or node.group.key != key:
                continue
            same = node.model_id == model.fingerprint
            if not same:
                leaf = self._pdl.models.get(node.model_id or "")
                if leaf is not None:
                    rows = self._X.loc[self._mask(group)].reset_index(drop=True)
                    same = bool(np.array_equal(self._normalize(leaf.predict(rows)), h_pred))
            if same:
                raise DataError(
                    f"This submission repeats accepted submission {node.submission_id}: the same "
                    f"group ({group.description}) with the same model predictions. Expected a new "
                    "group or a better model. Nothing was recorded."
                )

    def _plan(
        self,
        group: Group,
        mask: np.ndarray,
        model_id: str,
        h_pred: np.ndarray,
        sid: int,
        round_: int,
    ) -> tuple[list[Node], dict[int, np.ndarray], list[_Certified], list[int]]:
        """The update and its repairs, computed without touching the bounty."""
        nodes = list(self._pdl.nodes)
        versions = dict(self._versions)
        start = len(nodes)
        prediction = versions[start].copy()
        prediction[mask] = h_pred
        nodes.append(Node(group, model_id, None, round_, "update", sid))
        versions[len(nodes)] = prediction
        certified = [
            _Certified(
                c.submission_id,
                c.group,
                c.mask,
                c.round_accepted,
                c.best_errors,
                c.best_version,
                c.best_round,
            )
            for c in self._certified
        ]
        wrong = prediction != self._y
        certified.append(
            _Certified(sid, group, mask, round_, int(wrong[mask].sum()), len(nodes), round_)
        )
        repairs: list[int] = []
        while True:
            wrong = prediction != self._y
            worse = [c for c in certified if int(wrong[c.mask].sum()) > c.best_errors]
            if not worse:
                break
            if len(repairs) >= _MAX_REPAIRS:
                raise AssertionError(
                    f"The repair loop did not settle after {_MAX_REPAIRS} repairs; this breaks "
                    "the bounty's guarantee and is a bug. Nothing was recorded."
                )
            target = worse[0]  # the earliest certified group that got worse
            prediction = prediction.copy()
            prediction[target.mask] = versions[target.best_version][target.mask]
            nodes.append(
                Node(
                    target.group, None, target.best_version, round_, "repair", target.submission_id
                )
            )
            versions[len(nodes)] = prediction
            repairs.append(target.submission_id)
        wrong = prediction != self._y
        for c in certified:
            errors = int(wrong[c.mask].sum())
            if errors < c.best_errors:
                c.best_errors, c.best_version, c.best_round = errors, len(nodes), round_
        return nodes, versions, certified, repairs

    def _check_guarantees(
        self,
        versions: dict[int, np.ndarray],
        length: int,
        certified: list[_Certified],
        cert: Certificate,
    ) -> None:
        before = int((self._versions[len(self._pdl)] != self._y).sum())
        wrong = versions[length] != self._y
        after = int(wrong.sum())
        gain = cert.current_errors - cert.candidate_errors
        if after > before - gain:
            raise AssertionError(
                f"Overall holdout errors went from {before} to {after}, expected at most "
                f"{before - gain} (a fall of at least mu*Delta*n = {gain}). Nothing was recorded."
            )
        for c in certified:
            if int(wrong[c.mask].sum()) > c.best_errors:
                raise AssertionError(
                    f"Certified group {c.group.description} has {int(wrong[c.mask].sum())} "
                    f"holdout errors, above its best {c.best_errors}. Nothing was recorded."
                )

    def _record(
        self,
        group: Group,
        loaded: LoadedModel,
        cert: Certificate,
        submitter: str,
        note: str,
        update: tuple[np.ndarray, np.ndarray] | None,
    ) -> SubmissionResult:
        row = self._con.execute("SELECT coalesce(max(submission_id), 0) + 1 FROM ledger").fetchone()
        sid = int(row[0]) if row else 1
        length = len(self._pdl)
        before = self._overall_error(length)
        round_ = None
        plan = None
        if update is not None:
            row = self._con.execute("SELECT max(round) + 1 FROM rounds").fetchone()
            round_ = int(row[0]) if row and row[0] is not None else 1
            mask, h_pred = update
            plan = self._plan(group, mask, loaded.fingerprint, h_pred, sid, round_)
            self._check_guarantees(plan[1], len(plan[0]), plan[2], cert)
        after = before if plan is None else float(np.mean(plan[1][len(plan[0])] != self._y))
        repairs = tuple(plan[3]) if plan else ()
        accepted_after = self.accepted_count + (1 if plan else 0)
        report = {
            "submission_id": sid,
            "submitter": submitter,
            "group": group.description,
            "group_predicates": group.to_records(),
            "model_fingerprint": loaded.fingerprint,
            "model_kind": loaded.kind,
            **cert.to_dict(),
            "overall_error_before": before,
            "overall_error_after": after,
            "round": round_,
            "repairs": [
                {"group_of_submission": r, "group": self._group_of(r, plan)} for r in repairs
            ],
            "updates_accepted_on_holdout": accepted_after,
            "updates_left": max(0, self.budget - accepted_after),
            "holdout_spent": accepted_after >= self.budget,
        }
        if report["holdout_spent"]:
            report["holdout_note"] = (
                f"The holdout has certified {accepted_after} updates, its budget: it is spent. "
                "The owner must refresh it (bounty.refresh_holdout) before more submissions."
            )
        con = self._con
        now = _now()
        try:
            con.begin()
            if plan is not None:
                _insert_model(con, loaded, "candidate", submitter, _models_dir(self.path))
                nodes, versions, certified, _ = plan
                for position in range(length, len(nodes)):
                    node = nodes[position]
                    con.execute(
                        "INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            position,
                            json.dumps(node.group.to_records()),
                            node.group.description,
                            node.model_id,
                            node.version,
                            node.round,
                            node.reason,
                            node.submission_id,
                        ],
                    )
                con.execute(
                    "INSERT INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        round_,
                        len(nodes),
                        after,
                        sid,
                        len(repairs),
                        self._meta["holdout_generation"],
                        now,
                    ],
                )
                _write_certified(con, certified)
            con.execute(
                "INSERT INTO ledger VALUES (" + ", ".join(["?"] * 29) + ")",
                [
                    sid,
                    now,
                    submitter,
                    group.description,
                    json.dumps(group.to_records()),
                    json.dumps(list(group.features)),
                    loaded.fingerprint,
                    loaded.kind,
                    "accepted" if plan else "rejected",
                    cert.reason,
                    cert.n_group,
                    cert.mu,
                    cert.current_error,
                    *cert.current_error_ci,
                    cert.candidate_error,
                    *cert.candidate_error_ci,
                    cert.delta,
                    cert.improvement,
                    cert.alpha,
                    cert.p_value,
                    before,
                    after,
                    round_,
                    len(repairs),
                    self._meta["holdout_generation"],
                    note,
                    json.dumps(report, default=_json_default),
                ],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        if plan is not None:
            nodes, versions, certified, _ = plan
            models = dict(self._pdl.models)
            models[loaded.fingerprint] = loaded
            self._pdl = self._pdl.with_nodes(nodes, models)
            self._versions = versions
            self._certified = certified
        return SubmissionResult(sid, plan is not None, report, cert, repairs)

    def _group_of(self, sid: int, plan: Any) -> str:
        for c in plan[2] if plan else self._certified:
            if c.submission_id == sid:
                return str(c.group.description)
        return ""

    # ------------------------------------------------------------------ holdout refresh
    def refresh_holdout(self, X: pd.DataFrame, y: Any) -> None:
        """Replace a spent holdout with fresh rows; the budget starts again.

        The certified groups' best errors are re-measured on the new rows under the
        current list (their old bests were measured on other rows).
        """
        self._require_models()
        X, y_series = _check_holdout(X, y)
        missing = [c for c in self._X.columns if c not in X.columns]
        if missing:
            raise DataError(
                f"The new holdout lacks the columns {missing}. Expected the same columns as the "
                "first holdout."
            )
        X = X[list(self._X.columns)]
        needed = holdout_rows_needed(self.alpha, self.budget, float(self._meta["delta"]))
        if len(X) < needed:
            raise DataError(
                f"The new holdout has {len(X)} rows; alpha = {self.alpha:g} with a budget of "
                f"{self.budget} needs {needed}. Fix: give more rows."
            )
        old = (self._X, self._y_raw, self._y, self._versions, self._group_masks, dict(self._meta))
        con = self._con
        try:
            con.begin()
            con.execute("DROP TABLE holdout_x")
            con.execute("DROP TABLE holdout_y")
            holdout = X.copy()
            holdout["__row__"] = np.arange(len(X))
            con.register("holdout_view", holdout)
            con.execute("CREATE TABLE holdout_x AS SELECT * FROM holdout_view")
            con.unregister("holdout_view")
            labels = pd.DataFrame({"__row__": np.arange(len(X)), "label": y_series.to_numpy()})
            con.register("labels_view", labels)
            con.execute("CREATE TABLE holdout_y AS SELECT * FROM labels_view")
            con.unregister("labels_view")
            self._meta["holdout_generation"] = int(self._meta["holdout_generation"]) + 1
            self._meta["holdout_rows"] = len(X)
            for key in ("holdout_generation", "holdout_rows"):
                con.execute(
                    "UPDATE meta SET value = ? WHERE key = ?", [json.dumps(self._meta[key]), key]
                )
            self._load_holdout()
            versions = {0: self._checked_predictions(self._pdl.base, self._X, "base model")}
            for length in range(1, len(self._pdl) + 1):
                versions[length] = self._extend(versions, self._pdl.nodes[length - 1], length)
            self._versions = versions
            wrong = versions[len(self._pdl)] != self._y
            final = len(self._pdl)
            for c in self._certified:
                c.mask = self._mask(c.group)
                c.best_errors, c.best_version = int(wrong[c.mask].sum()), final
            _write_certified(con, self._certified)
            con.commit()
        except BaseException:
            con.rollback()
            self._X, self._y_raw, self._y, self._versions, self._group_masks, self._meta = old
            self._normalize = _normalizer(self._y_raw)
            for c in self._certified:
                c.mask = self._mask(c.group)
            raise

    # ------------------------------------------------------------------ views
    def ledger(self) -> pd.DataFrame:
        """Every submission: who, when, group, model fingerprint, verdict, numbers, before/after."""
        frame = self._con.execute(
            'SELECT submission_id, submitted_at, submitter, group_description AS "group", '
            "features, model_id AS model_fingerprint, model_kind, verdict, reason, n_group, mu, "
            "current_error, current_error_ci_low, current_error_ci_high, candidate_error, "
            "candidate_error_ci_low, candidate_error_ci_high, delta, improvement, alpha, p_value, "
            "overall_error_before, overall_error_after, round, repairs, holdout_generation, note "
            "FROM ledger ORDER BY submission_id"
        ).df()
        frame["features"] = [json.loads(v) for v in frame["features"]]
        return frame

    def report(self, submission_id: int) -> dict[str, Any]:
        """The full report of one submission, as returned when it was made."""
        row = self._con.execute(
            "SELECT report FROM ledger WHERE submission_id = ?", [submission_id]
        ).fetchone()
        if row is None:
            raise ParameterError(
                f"No submission {submission_id!r} in the ledger. Expected one of the ids of "
                "bounty.ledger()."
            )
        return dict(json.loads(row[0]))

    def leaderboard(self) -> pd.DataFrame:
        """Per submitter: submissions, accepted, total certified improvement sum(mu*Delta)."""
        frame = self._con.execute(
            "SELECT submitter, count(*) AS submissions, "
            "count(*) FILTER (WHERE verdict = 'accepted') AS accepted, "
            "coalesce(sum(improvement) FILTER (WHERE verdict = 'accepted'), 0) "
            "AS certified_improvement, "
            "coalesce(max(improvement) FILTER (WHERE verdict = 'accepted'), 0) AS best_improvement, "
            "max(submitted_at) AS last_submission "
            "FROM ledger GROUP BY submitter "
            "ORDER BY certified_improvement DESC, accepted DESC, submitter"
        ).df()
        frame["accepted"] = frame["accepted"].astype(int)
        frame["submissions"] = frame["submissions"].astype(int)
        return frame

    def rounds(self) -> pd.DataFrame:
        """The overall holdout error after each accepted update (round 0 = the base model)."""
        frame = self._con.execute(
            "SELECT r.round, r.n_nodes, r.overall_error, r.submission_id, l.submitter, "
            'l.group_description AS "group", l.improvement, r.repairs, r.holdout_generation '
            "FROM rounds r LEFT JOIN ledger l USING (submission_id) ORDER BY r.round"
        ).df()
        return frame

    def certified_groups(self) -> pd.DataFrame:
        """Every certified group: rows, best holdout error (and when), current error."""
        self._require_models()
        wrong = self._versions[len(self._pdl)] != self._y
        return pd.DataFrame(
            [
                {
                    "submission_id": c.submission_id,
                    "group": c.group.description,
                    "round_accepted": c.round_accepted,
                    "n_group": int(c.mask.sum()),
                    "best_error": c.best_errors / max(1, int(c.mask.sum())),
                    "best_round": c.best_round,
                    "current_error": float(wrong[c.mask].mean()),
                }
                for c in self._certified
            ],
            columns=[
                "submission_id",
                "group",
                "round_accepted",
                "n_group",
                "best_error",
                "best_round",
                "current_error",
            ],
        )

    def feature_use(self) -> pd.DataFrame:
        """Submitters x features: how often each submitter's accepted groups use each column."""
        ledger = self.ledger()
        accepted = ledger[ledger["verdict"] == "accepted"]
        rows = [
            {"submitter": s, "feature": f}
            for s, features in zip(accepted["submitter"], accepted["features"], strict=True)
            for f in features
        ]
        if not rows:
            return pd.DataFrame(dtype=int)
        table = pd.DataFrame(rows)
        return pd.crosstab(table["submitter"], table["feature"])

    def heatmap(self) -> Any:
        """Plotly figure: submitters x features used by their accepted groups."""
        from workbench.bounty._figures import feature_heatmap

        return feature_heatmap(self.feature_use())

    def error_curve(self) -> Any:
        """Plotly figure: overall holdout error after each accepted update."""
        from workbench.bounty._figures import error_curve

        return error_curve(self.rounds(), alpha=self.alpha)


def _write_certified(con: duckdb.DuckDBPyConnection, certified: Iterable[Any]) -> None:
    """Replace the stored certified groups with ``certified`` (inside the caller's transaction)."""
    con.execute("DELETE FROM certified")
    con.executemany(
        "INSERT INTO certified VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                c.submission_id,
                json.dumps(c.group.to_records()),
                c.group.description,
                c.round_accepted,
                int(c.mask.sum()),
                c.best_errors,
                c.best_version,
                c.best_round,
            ]
            for c in certified
        ],
    )


def _json_default(value: Any) -> Any:
    try:
        return value.item()
    except AttributeError:
        return str(value)


def _models_dir(path: Path) -> Path:
    return path.with_name(path.stem + ".models")


def _check_holdout(X: Any, y: Any) -> tuple[pd.DataFrame, pd.Series]:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"Expected the holdout X as a pandas DataFrame of raw columns. Got {type(X).__name__}."
        )
    if len(X) == 0:
        raise EmptyDataError("The holdout X has no rows. Expected the owner's held-out rows.")
    if isinstance(y, str):
        if y not in X.columns:
            from workbench.exceptions import ColumnNotFoundError

            raise ColumnNotFoundError.for_column("label", y, X.columns)
        y_series = X[y].reset_index(drop=True)
        X = X.drop(columns=y)
    else:
        y_series = pd.Series(
            np.asarray(y) if not isinstance(y, pd.Series) else y.to_numpy(),
            name=getattr(y, "name", "label"),
        )
    if len(y_series) != len(X):
        raise DataError(
            f"The holdout labels have {len(y_series)} values for {len(X)} rows. Expected one "
            "label per row."
        )
    if y_series.isna().any():
        raise LabelError(
            f"{int(y_series.isna().sum())} holdout labels are missing. Expected a label on every "
            "row. Fix: drop those rows."
        )
    bad = [c for c in X.columns if not isinstance(c, str) or c == "__row__"]
    if bad:
        raise DataError(
            f"Holdout columns must be named by strings other than '__row__'. Got {bad[:5]}."
        )
    X = X.reset_index(drop=True)
    for column in X.columns:
        if isinstance(X[column].dtype, pd.CategoricalDtype):
            X[column] = X[column].astype(object).where(X[column].notna(), None)
    return X, y_series.reset_index(drop=True)


def _insert_model(
    con: duckdb.DuckDBPyConnection, model: LoadedModel, role: str, submitter: str, directory: Path
) -> None:
    exists = con.execute("SELECT 1 FROM models WHERE model_id = ?", [model.fingerprint]).fetchone()
    if exists:
        return
    con.execute(
        "INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            model.fingerprint,
            model.kind,
            None if model.file is None else model.file.name,
            model.name,
            json.dumps(list(model.trusted_types)),
            role,
            submitter,
            _now(),
        ],
    )


def _reload(
    store: Path,
    model_id: str,
    kind: str,
    name: str,
    file_name: str | None,
    trusted: tuple[str, ...],
    bound: dict[str, Callable[..., Any]],
) -> LoadedModel:
    if kind == "callable":
        function = bound.get(model_id)
        if function is None:

            def missing(_X: pd.DataFrame, name: str = name, model_id: str = model_id) -> Any:
                raise ModelError(
                    f"The model {name!r} is a Python callable (fingerprint {model_id[:16]}), "
                    "which a bounty cannot store. Expected it again when reopening. Fix: "
                    f"Bounty.open(path, callables=[{name}, ...])."
                )

            return LoadedModel("callable", model_id, missing, name)
        return LoadedModel("callable", model_id, function, name)
    path = _models_dir(store) / str(file_name)
    if not path.is_file():
        raise StoreError(
            f"The model file {file_name!r} of the bounty is missing from {str(path.parent)!r}. "
            "Expected the model files next to the store. Fix: restore the folder."
        )
    loaded = load_model_file(path, trusted_types=trusted, expected_sha256=model_id)
    loaded.name = name
    return loaded
