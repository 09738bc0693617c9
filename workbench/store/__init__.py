"""The DuckDB store: the only module that speaks DuckDB (see _store.py for the tables)."""

from workbench.store._store import ROW_ID, SCHEMA_VERSION, Store

__all__ = ["ROW_ID", "SCHEMA_VERSION", "Store"]
