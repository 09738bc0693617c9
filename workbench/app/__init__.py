"""The code-free audit app: load predictions, find failing slices, export claims.

:class:`AuditApp` is one widget (served by Voilà from
``notebooks/00_audit_app.ipynb``, on Binder or with ``workbench app``) that walks an
auditor from a CSV to a flagged-slices CSV and claim files; :func:`serve` starts
Voilà on it. The app is a thin front: every step calls the public ``workbench``
API, and the explorer comes from :mod:`workbench.widgets`. Needs the ``app``
extra (ipywidgets, voila); the core ``import workbench`` never imports this.
"""

from __future__ import annotations

from workbench.app._serve import serve
from workbench.exceptions import MissingExtraError

try:
    import ipywidgets  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised with the extra uninstalled
    raise MissingExtraError.for_extra("app", "The audit app", exc.name or "ipywidgets") from exc

from workbench.app._app import METRIC_CHOICES, SAMPLE_CHOICES, AuditApp
from workbench.app._bounty import BOUNTY_MODELS, BountyStep
from workbench.app._columns import ColumnGuess, guess_columns

__all__ = [
    "BOUNTY_MODELS",
    "METRIC_CHOICES",
    "SAMPLE_CHOICES",
    "AuditApp",
    "BountyStep",
    "ColumnGuess",
    "guess_columns",
    "serve",
]
