"""Read one image item (path, bytes, PIL image or array) into an 8-bit RGB array.

Also lists an image folder as a table. Bad items raise
:class:`~workbench.exceptions.InputFileError` (a file or bytes that cannot be
read) or :class:`~workbench.exceptions.DataError` (an array or value that is
not an image), each saying what was expected, what came and how to fix it.

This module imports numpy, pandas, Pillow and the package's exceptions.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from workbench.exceptions import DataError, InputFileError

__all__ = ["IMAGE_SUFFIXES", "load_image", "load_image_folder"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
_EXPECTED = "an image path (str or Path), encoded image bytes, a PIL image or an RGB array"


def _describe(item: Any) -> str:
    if isinstance(item, (bytes, bytearray, memoryview)):
        return f"{len(item)} bytes starting with {bytes(item[:8])!r}"
    if isinstance(item, np.ndarray):
        return f"an array of shape {item.shape} and dtype {item.dtype}"
    text = repr(item)
    return text if len(text) < 80 else text[:77] + "..."


def _from_pil(image: Image.Image, source: str) -> np.ndarray:
    if image.width == 0 or image.height == 0:
        raise DataError(
            f"Expected an image with at least one pixel from {source}. Got a "
            f"{image.width}x{image.height} image. Fix: drop empty images before extracting."
        )
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # transparent pixels become white, as a viewer would show them on a page
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.size == 0:
        raise DataError(
            f"Expected an image array with at least one pixel. Got {_describe(array)}. "
            "Fix: drop empty images before extracting."
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise DataError(
            f"Expected an image array of shape (height, width), (height, width, 3) or "
            f"(height, width, 4). Got {_describe(array)}. Fix: pass RGB pixels, e.g. "
            "numpy.asarray(PIL.Image.open(path).convert('RGB'))."
        )
    array = array[..., :3]
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if np.issubdtype(array.dtype, np.floating):
        finite = array[np.isfinite(array)]
        if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
            raise DataError(
                "Expected a float image array with values in [0, 1]. Got values from "
                f"{finite.min():.3g} to {finite.max():.3g}. Fix: divide by 255 or pass uint8."
            )
        return (np.nan_to_num(array, nan=0.0) * 255.0 + 0.5).astype(np.uint8)
    if array.dtype == np.uint16:
        return (array // 257).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer) and array.min() >= 0 and array.max() <= 255:
        return array.astype(np.uint8)
    raise DataError(
        f"Expected a uint8, uint16 or float image array. Got {_describe(array)}. "
        "Fix: convert to uint8 RGB."
    )


def load_image(item: Any) -> np.ndarray:
    """Read one image item into an 8-bit RGB array of shape (height, width, 3).

    Parameters
    ----------
    item : str, os.PathLike, bytes, PIL.Image.Image or numpy.ndarray
        A path to an image file, the bytes of an encoded image (PNG, JPEG, ...),
        a PIL image, or an array (grayscale, RGB or RGBA; uint8 or float in [0, 1]).
        Transparent pixels are composited onto white; grayscale is repeated
        into three channels.

    Returns
    -------
    numpy.ndarray
        uint8 array of shape (height, width, 3).

    Raises
    ------
    InputFileError
        The file is missing or its content is not a readable image.
    DataError
        The item is not an image at all, or has no pixels.

    Examples
    --------
    >>> import numpy as np
    >>> load_image(np.zeros((4, 5), dtype=np.uint8)).shape
    (4, 5, 3)
    """
    if isinstance(item, Image.Image):
        return _from_pil(item, "a PIL image")
    if isinstance(item, np.ndarray):
        return _from_array(item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        if len(item) == 0:
            raise InputFileError(
                f"Expected {_EXPECTED}. Got 0 bytes. Fix: drop rows whose image is empty."
            )
        try:
            with Image.open(io.BytesIO(bytes(item))) as image:
                image.load()
                return _from_pil(image, "the given bytes")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputFileError(
                f"Expected the bytes of an encoded image (PNG, JPEG, ...). Got "
                f"{_describe(item)}, which cannot be decoded ({exc}). Fix: check the column "
                "holds whole image files, or drop the corrupt rows."
            ) from exc
    if isinstance(item, (str, os.PathLike)):
        path = Path(item)
        if not path.is_file():
            where = "is a directory" if path.is_dir() else "does not exist"
            raise InputFileError(
                f"Expected an image file. Got the path '{path}', which {where}. Fix the path "
                f"(relative paths start at the working directory '{Path.cwd()}') or drop the row."
            )
        try:
            with Image.open(path) as image:
                image.load()
                return _from_pil(image, f"'{path}'")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputFileError(
                f"Expected an image file (PNG, JPEG, ...). Got '{path}' "
                f"({path.stat().st_size} bytes), which cannot be decoded ({exc}). "
                "Fix: re-export the file or drop the row."
            ) from exc
    raise DataError(
        f"Expected {_EXPECTED}. Got {type(item).__name__}: {_describe(item)}. "
        "Fix: drop rows without an image, or pass paths or bytes."
    )


def load_image_folder(path: str | os.PathLike[str], *, recursive: bool = True) -> pd.DataFrame:
    """List the image files under a folder, one row per file.

    When every image sits in a subfolder directly under ``path`` (the
    ``folder/<class name>/<file>`` layout), the subfolder name becomes the
    ``label`` column.

    Parameters
    ----------
    path : str or os.PathLike
        The folder.
    recursive : bool
        Also look in subfolders.

    Returns
    -------
    pandas.DataFrame
        Columns ``image_path`` (str) and, with class subfolders, ``label``;
        rows sorted by path.

    Raises
    ------
    InputFileError
        The folder does not exist or holds no image files.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "cat").mkdir()
    >>> Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "cat" / "a.png")
    >>> load_image_folder(root)["label"].tolist()
    ['cat']
    """
    root = Path(path)
    if not root.is_dir():
        raise InputFileError(
            f"Expected a folder of images. Got '{root}', which "
            f"{'is a file' if root.exists() else 'does not exist'}. Fix the path."
        )
    pattern = "**/*" if recursive else "*"
    files = sorted(
        p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        raise InputFileError(
            f"Expected image files ({', '.join(sorted(IMAGE_SUFFIXES))}) under '{root}'. "
            "Got none. Fix the path, or pass recursive=True if they sit in subfolders."
        )
    frame = pd.DataFrame({"image_path": [str(p) for p in files]})
    parents = [p.relative_to(root).parts for p in files]
    if all(len(parts) == 2 for parts in parents):
        frame["label"] = [parts[0] for parts in parents]
    return frame
