"""The Examples sections of the core modules run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "workbench._io",
    "workbench._validation",
    "workbench._workbench",
    "workbench.adapters._adapters",
    "workbench.features._binning",
    "workbench.findings._findings",
    "workbench.samples",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
