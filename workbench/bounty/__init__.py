"""Bias bounties: certify (g, h) on a holdout, update a pointer decision list, repair, record.

After Globus-Harris, Kearns & Roth, "An Algorithmic Framework for Bias Bounties"
(FAccT 2022). The owner creates a :class:`Bounty` on a model and a holdout;
submitters send a group (typed predicates, never SQL or code) and a model in a
safe-to-load file (skops with trusted types, or ONNX); accepted updates go in
front of the :class:`PointerDecisionList`, earlier groups that got worse are
repaired, and every submission is kept in the ledger.
"""

from workbench.bounty._bounty import Bounty, SubmissionResult
from workbench.bounty._certify import Certificate, default_budget, holdout_rows_needed
from workbench.bounty._figures import error_curve, feature_heatmap
from workbench.bounty._groups import Group, as_group
from workbench.bounty._models import LoadedModel, load_model_file
from workbench.bounty._pdl import Node, PointerDecisionList

__all__ = [
    "Bounty",
    "Certificate",
    "Group",
    "LoadedModel",
    "Node",
    "PointerDecisionList",
    "SubmissionResult",
    "as_group",
    "default_budget",
    "error_curve",
    "feature_heatmap",
    "holdout_rows_needed",
    "load_model_file",
]
