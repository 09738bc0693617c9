"""Cell renderers for member rows: how a column of each kind is shown as HTML.

A small registry keyed by column kind (``"image"``, ``"audio"``, ``"text"``,
``"alignment"``, or any kind a plugin registers). The explorer detects the kind
of each member column from its name and values (:func:`detect_column_kind`) and
renders only the rows on screen, so thumbnails and audio players are built lazily,
one page at a time.

Renderers take the cell value and return an HTML fragment; the ``"alignment"``
renderer instead takes ``(reference, hypothesis)`` and is used for speech data
(its default is :func:`alignment_html`, which colours a word alignment from
:func:`workbench.metrics.align_words`). Imports the standard library; Pillow
(optional) for thumbnails; jiwer (through the metrics) for alignments.
"""

from __future__ import annotations

import base64
import functools
import html
import mimetypes
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.widgets._format import esc, fmt_value

__all__ = [
    "AUDIO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "alignment_html",
    "detect_column_kind",
    "get_renderer",
    "register_renderer",
    "render_cell",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus")
_IMAGE_NAMES = ("image_path", "image_file", "img_path", "image", "img", "photo", "thumbnail")
_AUDIO_NAMES = ("audio_path", "audio_file", "wav_path", "audio", "clip", "recording")
#: Thumbnails are at most this many pixels on their longer side.
THUMBNAIL_SIZE = 96
#: Audio files larger than this are not inlined (the page would get too heavy).
MAX_AUDIO_BYTES = 3_000_000
#: Images without Pillow are inlined as they are, up to this size.
MAX_RAW_IMAGE_BYTES = 300_000

Renderer = Callable[..., str]
_RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Use ``renderer`` for every member column of this ``kind``.

    Parameters
    ----------
    kind : str
        ``"image"``, ``"audio"``, ``"text"``, ``"alignment"`` or a new kind (name
        the columns of a new kind with ``Explorer(..., column_kinds={col: kind})``).
    renderer : callable
        ``renderer(value) -> str`` returning an HTML fragment for one cell; for
        ``"alignment"``, ``renderer(reference, hypothesis) -> str``. The fragment
        is shown as is: escape any text it includes.

    Examples
    --------
    >>> register_renderer("stars", lambda v: "★" * int(v))
    >>> render_cell("stars", 3)
    '★★★'
    """
    if not callable(renderer):
        raise TypeError(
            f"register_renderer expects a callable renderer(value) -> str for kind {kind!r}; "
            f"got {type(renderer).__name__}."
        )
    _RENDERERS[str(kind)] = renderer


def get_renderer(kind: str) -> Renderer:
    """The renderer registered for ``kind`` (plain escaped text when none is)."""
    return _RENDERERS.get(kind, _text_html)


def render_cell(kind: str | None, value: Any, *, root: str | os.PathLike[str] | None = None) -> str:
    """One cell as HTML; a failing renderer shows its error instead of breaking the table."""
    renderer = get_renderer(kind or "text")
    try:
        if kind in ("image", "audio") and renderer in (_image_html, _audio_html):
            return renderer(value, root=root)
        return renderer(value)
    except Exception as exc:  # a bad file must not take the explorer down
        return f'<span class="wb-muted" title="{esc(exc)}">{esc(value)} (cannot show)</span>'


def detect_column_kind(name: str, values: Sequence[Any]) -> str | None:
    """``"image"``, ``"audio"`` or None for a member column, from its name and values.

    A column is media when its name ends like ``image_path`` / ``audio_path`` (or
    ``_image``, ``_audio``, ...) and its values are text or all missing (a page of
    rows without media keeps its media column), or when its first non-missing text
    values end in an image or audio file extension.

    Examples
    --------
    >>> detect_column_kind("image_path", ["a.png"])
    'image'
    >>> detect_column_kind("clip", ["x/y.FLAC"])
    'audio'
    >>> detect_column_kind("audio_path", [None, None])
    'audio'
    >>> detect_column_kind("sex", ["Female"]) is None
    True
    """
    lowered = name.lower()
    texts = [v for v in values if isinstance(v, str) and v][:20]
    if texts and all(t.lower().endswith(IMAGE_EXTENSIONS) for t in texts):
        return "image"
    if texts and all(t.lower().endswith(AUDIO_EXTENSIONS) for t in texts):
        return "audio"
    all_missing = bool(values) and all(_is_missing(v) for v in values)
    if texts or all_missing:
        if any(lowered == n or lowered.endswith("_" + n) for n in _IMAGE_NAMES):
            return "image"
        if any(lowered == n or lowered.endswith("_" + n) for n in _AUDIO_NAMES):
            return "audio"
    return None


def _is_missing(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value):
        return True
    try:
        return bool(value != value)  # NaN
    except (TypeError, ValueError):  # pandas.NA
        return True


def _text_html(value: Any) -> str:
    text = fmt_value(value)
    if len(text) > 120:
        return f'<span title="{esc(text)}">{esc(text[:117])}…</span>'
    return esc(text)


def _resolve(value: Any, root: str | os.PathLike[str] | None) -> Path:
    path = Path(str(value)).expanduser()
    if path.is_absolute() or path.exists():
        return path
    if root is not None and (Path(root) / path).exists():
        return Path(root) / path
    return path


@functools.lru_cache(maxsize=512)
def _thumbnail_uri(path: str, mtime: float) -> str:
    try:
        from PIL import Image
    except ImportError:
        data = Path(path).read_bytes()
        if len(data) > MAX_RAW_IMAGE_BYTES:
            raise ValueError(
                f"image of {len(data):,} bytes; install Pillow for thumbnails"
            ) from None
        mime = mimetypes.guess_type(path)[0] or "image/png"
        return f"data:{mime};base64,{base64.b64encode(data).decode()}"
    import io

    with Image.open(path) as opened:
        opened.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        image = opened if opened.mode in ("RGB", "L") else opened.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _image_html(value: Any, *, root: str | os.PathLike[str] | None = None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return '<span class="wb-muted">–</span>'
    path = _resolve(value, root)
    if not path.exists():
        return f'<span class="wb-muted" title="file not found">{esc(path.name)} (missing)</span>'
    uri = _thumbnail_uri(str(path), path.stat().st_mtime)
    return (
        f'<img class="wb-thumb" src="{uri}" alt="{esc(path.name)}" title="{esc(path.name)}" '
        f'loading="lazy">'
    )


def _audio_html(value: Any, *, root: str | os.PathLike[str] | None = None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return '<span class="wb-muted">–</span>'
    path = _resolve(value, root)
    if not path.exists():
        return f'<span class="wb-muted" title="file not found">{esc(path.name)} (missing)</span>'
    size = path.stat().st_size
    if size > MAX_AUDIO_BYTES:
        return f'<span class="wb-muted">{esc(path.name)} ({size / 1e6:.1f} MB, too large to inline)</span>'
    mime = mimetypes.guess_type(str(path))[0] or "audio/wav"
    if path.suffix.lower() == ".flac":
        mime = "audio/flac"
    uri = f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
    return (
        f'<audio class="wb-audio" controls preload="none" src="{uri}" '
        f'title="{esc(path.name)}"></audio>'
    )


_STYLES = {
    "equal": "",
    "substitute": "background:#fde2b8;color:#5c3300;",
    "delete": "background:#f8c9c9;color:#6b0000;text-decoration:line-through;",
    "insert": "background:#c9e7f8;color:#003a5c;",
}
_LEGEND = (
    ("substitute", "substitution"),
    ("delete", "deletion (in reference, missing from output)"),
    ("insert", "insertion (in output only)"),
)


def _span(text: str, op: str) -> str:
    style = _STYLES[op]
    escaped = html.escape(text)
    if not style:
        return f"<span>{escaped}</span>"
    return f'<span style="{style}padding:0 2px;border-radius:3px;" title="{op}">{escaped}</span>'


def alignment_html(reference: Any, hypothesis: Any, *, normalize: bool = True) -> str:
    """Render a reference/hypothesis pair with errors highlighted, as HTML.

    Two aligned rows (reference above, ASR output below) where substitutions,
    deletions and insertions are coloured (inline styles, escaped text), a
    legend, and the utterance's error count. Suitable for a notebook
    (``IPython.display.HTML``) or the explorer's drill-down.

    Parameters
    ----------
    reference, hypothesis : str
        One utterance's transcript and ASR output.
    normalize : bool
        Apply :func:`workbench.metrics.normalize_text` to both first.

    Returns
    -------
    str
        A self-contained HTML fragment.

    Examples
    --------
    >>> snippet = alignment_html("stop the car", "stop a car")
    >>> "substitution" in snippet and "<table" in snippet
    True
    """
    # The speech metric owns the alignment (jiwer, the [audio] extra), imported on first use.
    from workbench.metrics._wer import align_words

    ops = align_words(reference, hypothesis, normalize=normalize)
    cell = "padding:2px 4px;text-align:center;font-family:monospace;white-space:nowrap;"
    ref_cells, hyp_cells = [], []
    for op, ref_word, hyp_word in ops:
        ref_cells.append(
            f'<td style="{cell}">{_span(ref_word, op) if ref_word else "&#8212;"}</td>'
        )
        hyp_cells.append(
            f'<td style="{cell}">{_span(hyp_word, op) if hyp_word else "&#8212;"}</td>'
        )
    n_errors = sum(op != "equal" for op, _, _ in ops)
    n_ref = sum(ref is not None for _, ref, _ in ops)
    label = "padding:2px 6px;font-weight:600;color:#333;text-align:right;"
    legend = " ".join(_span(text, op) for op, text in _LEGEND)
    rate = f"{n_errors / n_ref:.0%}" if n_ref else "n/a"
    return (
        '<div style="font-size:13px;line-height:1.6;color:#222;">'
        '<table style="border-collapse:collapse;">'
        f'<tr><th style="{label}">reference</th>{"".join(ref_cells)}</tr>'
        f'<tr><th style="{label}">ASR output</th>{"".join(hyp_cells)}</tr>'
        "</table>"
        f'<div style="margin-top:4px;">{legend} &nbsp; '
        f"{n_errors} word error{'s' if n_errors != 1 else ''} / {n_ref} reference words "
        f"(WER {rate})</div></div>"
    )


def _alignment_html(reference: Any, hypothesis: Any) -> str:
    return alignment_html(reference, hypothesis)


register_renderer("text", _text_html)
register_renderer("image", _image_html)
register_renderer("audio", _audio_html)
register_renderer("alignment", _alignment_html)


def column_kinds(
    columns: Sequence[str], sample: Mapping[str, Sequence[Any]], overrides: Mapping[str, str]
) -> dict[str, str | None]:
    """Kind of each column: explicit overrides first, then detection."""
    return {c: overrides.get(c) or detect_column_kind(c, sample.get(c, ())) for c in columns}
