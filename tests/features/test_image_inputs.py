"""Image inputs: every kind of item is read, and bad ones get a message that helps.

Real files, real bytes, real PIL images; nothing is mocked.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("skimage")

from PIL import Image

from workbench.exceptions import DataError, InputFileError, ParameterError
from workbench.features.image import (
    ImageDescriptors,
    load_image,
    load_image_folder,
)
from workbench.samples import render_faces


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    images, _ = render_faces(1, seed=2)
    return images[0]


def _png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(buffer, format="PNG")
    return buffer.getvalue()


def test_every_item_kind_gives_the_same_pixels(face: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "face.png"
    Image.fromarray(face).save(path)
    for item in (path, str(path), path.read_bytes(), Image.open(path), face):
        assert np.array_equal(load_image(item), face)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda a: a[..., 0], id="grayscale array"),
        pytest.param(lambda a: a[..., :1], id="one-channel array"),
        pytest.param(
            lambda a: np.dstack([a, np.full(a.shape[:2], 255, np.uint8)]), id="RGBA array"
        ),
        pytest.param(lambda a: a.astype(np.float32) / 255.0, id="float array"),
        pytest.param(lambda a: a.astype(np.uint16) * 257, id="uint16 array"),
        pytest.param(lambda a: _png_bytes(a, "L"), id="grayscale PNG bytes"),
        pytest.param(lambda a: _png_bytes(a, "RGBA"), id="RGBA PNG bytes"),
        pytest.param(lambda a: Image.fromarray(a).convert("P"), id="palette PIL image"),
    ],
)
def test_grayscale_rgba_and_other_formats_are_handled(face: np.ndarray, make) -> None:
    frame = ImageDescriptors().extract([make(face)])
    assert frame.loc[0, "width"] == 128
    assert frame.loc[0, "lighting"] in {"dim", "normal", "bright"}


def test_transparent_pixels_become_white() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    assert load_image(_png_bytes(rgba)).min() == 255


@pytest.mark.parametrize(
    ("item", "error", "words"),
    [
        ("no/such/image.png", InputFileError, ["Expected an image file", "does not exist", "Fix"]),
        (b"", InputFileError, ["Got 0 bytes", "Fix"]),
        (b"\x89PNG\r\n\x1a\n not really a png", InputFileError, ["cannot be decoded", "Fix"]),
        (np.zeros((0, 5, 3), np.uint8), DataError, ["at least one pixel", "(0, 5, 3)", "Fix"]),
        (np.zeros((4, 4, 2), np.uint8), DataError, ["(height, width, 3)", "Got an array", "Fix"]),
        (np.full((4, 4, 3), 3.0), DataError, ["values in [0, 1]", "Fix"]),
        (None, DataError, ["Expected an image path", "Got NoneType", "Fix"]),
        (12.5, DataError, ["Expected an image path", "Got float", "Fix"]),
    ],
)
def test_bad_items_say_expected_got_fix(item, error, words) -> None:
    with pytest.raises(error) as caught:
        ImageDescriptors().extract([item])
    for word in words:
        assert word in str(caught.value)


def test_corrupt_file_and_directory(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.raises(InputFileError, match=r"broken\.jpg"):
        load_image(broken)
    with pytest.raises(InputFileError, match="is a directory"):
        load_image(tmp_path)


def test_zero_size_image_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="cannot be decoded"):
        load_image(empty)


def test_skip_gives_a_row_of_unknowns(face: np.ndarray) -> None:
    frame = ImageDescriptors(on_error="skip").extract([face, b"junk", "missing.png"])
    assert frame["skin_tone"].tolist()[1:] == ["unknown", "unknown"]
    assert frame["luminance_mean"].isna().tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ({"n_jobs": 0}, "'n_jobs' parameter of ImageDescriptors must be an int >= 1 or -1"),
        (
            {"on_error": "ignore"},
            "'on_error' parameter of ImageDescriptors must be 'raise' or 'skip'",
        ),
        ({"chunk_size": 0}, "'chunk_size' parameter of ImageDescriptors must be an int >= 1"),
        ({"scene_classifier": "indoor"}, "'scene_classifier' parameter of ImageDescriptors"),
    ],
)
def test_parameters_are_checked(face: np.ndarray, parameters, words) -> None:
    with pytest.raises(ParameterError) as caught:
        ImageDescriptors(**parameters).extract([face])
    assert words in str(caught.value)


def test_load_image_folder_reads_class_subfolders(face: np.ndarray, tmp_path: Path) -> None:
    for label in ("smiling", "neutral"):
        (tmp_path / label).mkdir()
        Image.fromarray(face).save(tmp_path / label / "a.png")
    (tmp_path / "notes.txt").write_text("not an image")
    frame = load_image_folder(tmp_path)
    assert frame["label"].tolist() == ["neutral", "smiling"]
    assert all(path.endswith("a.png") for path in frame["image_path"])


def test_load_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        load_image_folder(tmp_path / "nowhere")
    with pytest.raises(InputFileError, match="Got none"):
        load_image_folder(tmp_path)


def test_missing_extra_names_the_pip_install() -> None:
    # a fresh interpreter where OpenCV cannot be imported
    code = (
        "import sys; sys.modules['cv2'] = None\n"
        "try:\n"
        "    import workbench.features.image\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert "MissingExtraError" in result.stdout
    assert "pip install 'slice-workbench[image]'" in result.stdout


def test_core_package_does_not_import_the_image_extra() -> None:
    code = "import workbench, sys; print('workbench.features.image' in sys.modules, 'cv2' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_the_bundled_face_models_are_the_documented_files_with_their_licence() -> None:
    import hashlib
    import re

    import workbench.features.image as image

    models = Path(image.__file__).parent / "models"
    assert "Apache License" in (models / "LICENSE").read_text()
    table = re.findall(
        r"\| (\S+\.tflite) \| (\d+) \| ([0-9a-f]{64}) \|", (models / "README.md").read_text()
    )
    assert len(table) == 2
    for name, size, digest in table:
        data = (models / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (int(size), digest), name
