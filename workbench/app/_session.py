"""The app's work kept across page reloads: one folder on disk per browser session.

The browser keeps a random session key in its local storage (:class:`SessionKey`,
an anywidget); the kernel keeps that session's DuckDB store and a small manifest
in ``sessions_dir/<key>/``. A reloaded page sends the same key, so the new kernel
reopens the store with its scans, flags and notes. A store still held by the
previous page's kernel (Voilà keeps it alive for a while) is copied first.
Imports anywidget, the standard library and the public ``workbench`` API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets

import workbench as wb

__all__ = [
    "MANIFEST",
    "SessionKey",
    "default_sessions_dir",
    "next_store",
    "open_saved",
    "read_manifest",
    "write_manifest",
]

MANIFEST = "session.json"
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

_ESM = """
const NAME = "slice-workbench-session";
function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Array.from({ length: 24 }, () => Math.floor(Math.random() * 36).toString(36)).join("");
}
function render({ model, el }) {
  el.style.display = "none";
  let key = null;
  try {
    key = localStorage.getItem(NAME);
    if (!key) { key = newKey(); localStorage.setItem(NAME, key); }
  } catch (e) {
    key = "";  // storage blocked: the work is kept only while this page is open
  }
  if (key && model.get("key") !== key) { model.set("key", key); model.save_changes(); }
  model.on("change:forget", () => {
    try { localStorage.removeItem(NAME); } catch (e) {}
  });
}
export default { render };
"""


class SessionKey(anywidget.AnyWidget):
    """The browser's session key (from its local storage), sent to the kernel.

    Examples
    --------
    >>> key = SessionKey()
    >>> key.set_state({"key": "0f3c2a1e-77aa"})
    >>> key.valid
    True
    """

    _esm = _ESM
    key = traitlets.Unicode("").tag(sync=True)
    forget = traitlets.Int(0).tag(sync=True)

    @property
    def valid(self) -> bool:
        """Whether the key can name a folder (letters, digits, ``-`` and ``_`` only)."""
        return bool(_KEY.match(self.key))


def default_sessions_dir() -> Path:
    """``$WORKBENCH_APP_SESSIONS``, else ``~/.cache/slice-workbench/app-sessions``."""
    configured = os.environ.get("WORKBENCH_APP_SESSIONS")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "slice-workbench" / "app-sessions"


def write_manifest(folder: Path, **facts: Any) -> None:
    """Record what the session's store holds (its file, the data's name, media root)."""
    folder.mkdir(parents=True, exist_ok=True)
    facts["saved_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (folder / MANIFEST).write_text(json.dumps(facts, indent=2, default=str), encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a session folder, or None when there is no usable one."""
    try:
        facts = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(facts, dict) or not isinstance(facts.get("store"), str):
        return None
    store = folder / Path(facts["store"]).name  # only files inside the folder
    return {**facts, "store": store} if store.is_file() else None


def next_store(folder: Path) -> Path:
    """A new store file name in the folder (``audit1.duckdb``, ``audit2.duckdb``, ...)."""
    n = 1
    while (folder / f"audit{n}.duckdb").exists():
        n += 1
    return folder / f"audit{n}.duckdb"


def open_saved(store: Path) -> wb.Workbench:
    """Reopen a session's store; if another kernel still holds it, open a copy."""
    try:
        return wb.Workbench.open(store)
    except wb.StoreLockedError:
        copy = next_store(store.parent)
        shutil.copyfile(store, copy)
        wal = store.with_name(store.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        return wb.Workbench.open(copy)
