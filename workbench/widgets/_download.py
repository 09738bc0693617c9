"""A browser download for files of any size, sent from the kernel in chunks.

A ``data:`` link carries the whole file inside the page, which is fine for small
files only. :class:`FileDownload` is a button: when pressed, the kernel reads the
saved file and sends it in binary chunks over the widget's comm; the browser joins
them and saves the file. It works wherever anywidget runs (JupyterLab, Notebook,
Voilà, Binder, marimo), with nothing served over HTTP. Imports anywidget only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from workbench.widgets._html import size_text

__all__ = ["CHUNK_BYTES", "FileDownload", "export_folder"]

_STATIC = Path(__file__).with_name("static")

#: Bytes per message: well below the message limits of Jupyter servers and proxies.
CHUNK_BYTES = 1 << 20


class FileDownload(anywidget.AnyWidget):
    """A button that downloads a file from the kernel's disk into the browser.

    Parameters
    ----------
    path : path
        The file to offer (read when the button is pressed, chunk by chunk).
    label : str, optional
        The button's text; default ``Download <file name>``.
    mime : str
        The file's media type.
    note : str
        A short note shown after the size (e.g. where the file is also saved).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n")
    >>> button = FileDownload(path)
    >>> button.filename, button.size
    ('rows.csv', 8)
    >>> [len(c) for c in button.chunks()]
    [8]
    """

    _esm = (_STATIC / "download.js").read_text(encoding="utf-8")
    _css = """
.wbd { display: inline-flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.wbd-button { font: inherit; font-size: 13px; font-weight: 600; color: #0b5cd5; background: none;
  border: 1px solid #0b5cd5; border-radius: 6px; padding: 4px 12px; cursor: pointer; }
.wbd-button:focus-visible { outline: 2px solid #0b5cd5; outline-offset: 2px; }
.wbd-button:disabled { opacity: 0.6; cursor: progress; }
.wbd-status { color: var(--jp-ui-font-color2, #57606a); font-size: 12px; }
"""

    filename = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    mime = traitlets.Unicode("text/csv").tag(sync=True)
    size = traitlets.Int(0).tag(sync=True)
    size_text = traitlets.Unicode("").tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        path: str | Path,
        *,
        label: str | None = None,
        mime: str = "text/csv",
        note: str = "",
        **kwargs: Any,
    ) -> None:
        self.path = Path(path)
        size = self.path.stat().st_size
        super().__init__(
            filename=self.path.name,
            label=label or f"Download {self.path.name}",
            mime=mime,
            size=size,
            size_text=size_text(size),
            note=note,
            **kwargs,
        )
        self.n_sent = 0  # downloads served (for tests and logs)
        self.on_msg(self._on_message)

    def chunks(self, chunk_bytes: int | None = None) -> list[bytes]:
        """The file in chunks, as they are sent (read now)."""
        chunk_bytes = chunk_bytes or CHUNK_BYTES
        out = []
        with self.path.open("rb") as handle:
            while chunk := handle.read(chunk_bytes):
                out.append(chunk)
        return out or [b""]

    def _on_message(self, _widget: Any, content: Any, _buffers: Sequence[Any]) -> None:
        if not isinstance(content, dict) or content.get("type") != "request":
            return
        self.send_file()

    def send_file(self, chunk_bytes: int | None = None) -> int:
        """Send the file to the browser in chunks; return how many were sent."""
        chunk_bytes = chunk_bytes or CHUNK_BYTES
        count = 0
        with self.path.open("rb") as handle:
            chunk = handle.read(chunk_bytes)
            while True:
                following = handle.read(chunk_bytes)
                self.send({"type": "chunk", "index": count, "last": not following}, buffers=[chunk])
                count += 1
                if not following:
                    break
                chunk = following
        self.n_sent += 1
        return count


def export_folder(store_path: str | Path, chosen: Path | None = None) -> Path:
    """Folder exports are written to: ``chosen``, else ``<store>-exports`` beside the store.

    An in-memory store has no folder of its own; its exports go to
    ``workbench-exports`` in the working directory.
    """
    if chosen is not None:
        return chosen
    if str(store_path) == ":memory:":
        return Path.cwd() / "workbench-exports"
    store = Path(store_path).resolve()
    return store.parent / f"{store.stem}-exports"
