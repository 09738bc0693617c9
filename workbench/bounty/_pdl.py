"""The pointer decision list (PDL): the model a bias bounty builds.

An ordered list of nodes (g_i, h_i) in front of a base model f_0: a row is
predicted by the first node whose group holds it, else by f_0. Nodes are only
ever put in front, so the model after any number of nodes is a fixed tail of
the list: a *version* is identified by its number of nodes. A repair node
points its group back to an earlier version instead of a leaf model.
Imports numpy, pandas and the bounty's groups and models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.bounty._groups import Group
from workbench.bounty._models import LoadedModel
from workbench.exceptions import ModelError

__all__ = ["Node", "PointerDecisionList"]


@dataclass(frozen=True)
class Node:
    """One entry of the list.

    Parameters
    ----------
    group : Group
        The rows the node decides.
    model_id : str or None
        The leaf model (its fingerprint) of an update node.
    version : int or None
        For a repair node: the number of nodes of the earlier version it points to.
    round : int
        The accepted update that added the node.
    reason : str
        ``"update"`` or ``"repair"``.
    submission_id : int
        The accepted submission of the update (for a repair: of the group repaired).
    """

    group: Group
    model_id: str | None
    version: int | None
    round: int
    reason: str
    submission_id: int

    @property
    def is_pointer(self) -> bool:
        return self.version is not None


class PointerDecisionList:
    """The current model of a bounty: ``predict(X)`` like a scikit-learn classifier.

    Parameters
    ----------
    base : LoadedModel
        f_0, the owner's model.
    nodes : sequence of Node
        In the order they were added (the last one is the front of the list).
    models : mapping
        Leaf models by fingerprint.
    """

    def __init__(
        self,
        base: LoadedModel,
        nodes: Sequence[Node] = (),
        models: Mapping[str, LoadedModel] | None = None,
    ) -> None:
        self.base = base
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self.models: dict[str, LoadedModel] = dict(models or {})

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        repairs = sum(n.is_pointer for n in self.nodes)
        return (
            f"PointerDecisionList({len(self.nodes)} nodes: {len(self.nodes) - repairs} updates, "
            f"{repairs} repairs; base model {self.base.name or self.base.kind})"
        )

    def with_nodes(
        self, nodes: Sequence[Node], models: Mapping[str, LoadedModel]
    ) -> PointerDecisionList:
        return PointerDecisionList(self.base, nodes, models)

    def predict(self, X: pd.DataFrame, *, version: int | None = None) -> np.ndarray:
        """Labels for the rows of ``X`` from the list (or from an earlier ``version``).

        Parameters
        ----------
        X : DataFrame
            Raw columns, as in the holdout.
        version : int, optional
            Number of nodes of the version to use (default: all of them).
        """
        if not isinstance(X, pd.DataFrame):
            raise ModelError(
                f"Expected a pandas DataFrame with the holdout's columns. Got {type(X).__name__}."
            )
        length = len(self.nodes) if version is None else version
        if not 0 <= length <= len(self.nodes):
            raise ModelError(
                f"Expected a version between 0 and {len(self.nodes)} nodes. Got {length}."
            )
        out = self._predict(X.reset_index(drop=True), length, {})
        return np.asarray(out.tolist())

    def _predict(self, X: pd.DataFrame, length: int, masks: dict[str, np.ndarray]) -> np.ndarray:
        out = np.empty(len(X), dtype=object)
        undecided = np.ones(len(X), dtype=bool)
        for index in range(length - 1, -1, -1):
            if not undecided.any():
                break
            node = self.nodes[index]
            rows = node.group.mask(X) & undecided
            if not rows.any():
                continue
            subset = X.loc[rows].reset_index(drop=True)
            if node.version is not None:
                out[rows] = self._predict(subset, node.version, masks)
            else:
                out[rows] = self._leaf(node.model_id).predict(subset)
            undecided &= ~rows
        if undecided.any():
            out[undecided] = self.base.predict(X.loc[undecided].reset_index(drop=True))
        return out

    def _leaf(self, model_id: str | None) -> LoadedModel:
        if model_id is None or model_id not in self.models:
            raise ModelError(
                f"The list has a node whose model {str(model_id)[:16]!r} is not loaded. Expected "
                "every node's model file next to the store (or the callable passed to "
                "Bounty.open). Fix: restore the model files, or pass callables=[...]."
            )
        return self.models[model_id]

    def to_frame(self) -> pd.DataFrame:
        """The nodes, front first: group, leaf model or pointer, round and reason."""
        rows: list[dict[str, Any]] = []
        for position, node in enumerate(reversed(self.nodes)):
            model = self.models.get(node.model_id or "")
            rows.append(
                {
                    "position": position,
                    "group": node.group.description,
                    "decides_with": (
                        f"version with {node.version} nodes"
                        if node.version is not None
                        else f"{model.kind if model else '?'} {str(node.model_id)[:12]}"
                    ),
                    "reason": node.reason,
                    "round": node.round,
                    "submission_id": node.submission_id,
                }
            )
        rows.append(
            {
                "position": len(self.nodes),
                "group": "all other rows",
                "decides_with": f"base model {self.base.name or self.base.kind}",
                "reason": "base",
                "round": 0,
                "submission_id": None,
            }
        )
        return pd.DataFrame(rows)
