"""Exports that leave the workbench: claim files for findings (CSV lives on Findings)."""

from workbench.export._claims import (
    CLAIM_FORMAT,
    check_claim,
    check_content_hash,
    claim_hash,
    claim_predicates,
    make_claim,
    read_claim,
    write_claim,
)

__all__ = [
    "CLAIM_FORMAT",
    "check_claim",
    "check_content_hash",
    "claim_hash",
    "claim_predicates",
    "make_claim",
    "read_claim",
    "write_claim",
]
