"""Cell renderers for member rows: how a column of each kind is shown as HTML.

A small registry keyed by column kind (``"image"``, ``"audio"``, ``"text"``,
``"alignment"``, or any kind a plugin registers). The explorer detects the kind
of each member column from its name and values (:func:`detect_column_kind`) and
renders only the rows on screen, so thumbnails and audio players are built lazily,
one page at a time.

Renderers take the cell value and return an HTML fragment; the ``"alignment"``
renderer instead takes ``(reference, hypothesis)`` and is used for speech data
(its default is :func:`workbench.metrics._wer.alignment_html`, imported on first
use). Imports the standard library; Pillow (optional) for thumbnails.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.widgets._format import esc, fmt_value

__all__ = [
    "AUDIO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
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
    ``_image``, ``_audio``, ...), or when its first non-missing text values end in
    an image or audio file extension.

    Examples
    --------
    >>> detect_column_kind("image_path", ["a.png"])
    'image'
    >>> detect_column_kind("clip", ["x/y.FLAC"])
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
    if texts and any(lowered == n or lowered.endswith("_" + n) for n in _IMAGE_NAMES):
        return "image"
    if texts and any(lowered == n or lowered.endswith("_" + n) for n in _AUDIO_NAMES):
        return "audio"
    return None


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


def _alignment_html(reference: Any, hypothesis: Any) -> str:
    # The speech metric owns the alignment; imported only when speech rows are shown.
    from workbench.metrics._wer import alignment_html

    return str(alignment_html(reference, hypothesis))


register_renderer("text", _text_html)
register_renderer("image", _image_html)
register_renderer("audio", _audio_html)
register_renderer("alignment", _alignment_html)


def column_kinds(
    columns: Sequence[str], sample: Mapping[str, Sequence[Any]], overrides: Mapping[str, str]
) -> dict[str, str | None]:
    """Kind of each column: explicit overrides first, then detection."""
    return {c: overrides.get(c) or detect_column_kind(c, sample.get(c, ())) for c in columns}
