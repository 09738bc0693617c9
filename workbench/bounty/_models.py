"""Models of a bounty: safe-to-load files (skops, ONNX) or in-process objects.

A submitter's model arrives as a file the owner can open without running the
submitter's code: scikit-learn through ``skops`` with an explicit list of
trusted types, or ONNX through ``onnxruntime``. Pickles (and joblib files,
which are pickles) are refused. From the Python API a fitted scikit-learn
estimator is written to a skops file (so the bounty can reopen it) and a plain
callable is kept in memory (it must be handed again to ``Bounty.open``).
Every stored file is named and checked by its SHA-256. Imports numpy, pandas
and ``workbench.exceptions``; skops and onnxruntime
(the ``[bounty]`` extra) are imported when a model file is read or written.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import InputFileError, MissingExtraError, ModelError

__all__ = [
    "DEFAULT_TRUSTED_PREFIXES",
    "DEFAULT_TRUSTED_TYPES",
    "LoadedModel",
    "file_sha256",
    "load_model_file",
    "model_from_object",
]

#: Types a skops file may contain without being named by the owner: scikit-learn's own
#: (by module prefix) and numpy's dtype objects (estimators record their dtype parameter).
DEFAULT_TRUSTED_PREFIXES: tuple[str, ...] = ("sklearn.",)
DEFAULT_TRUSTED_TYPES: tuple[str, ...] = ("numpy.dtype",)

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill", ".cloudpickle")


@dataclass
class LoadedModel:
    """A model that predicts a 1-D array of labels from a frame of raw columns.

    ``kind`` is ``"skops"``, ``"onnx"`` or ``"callable"``; ``fingerprint`` is the
    SHA-256 of the file (or of the callable's source); ``file`` is where the
    bounty keeps it (None for a callable).
    """

    kind: str
    fingerprint: str
    predict_function: Callable[[pd.DataFrame], Any]
    name: str = ""
    file: Path | None = None
    trusted_types: tuple[str, ...] = field(default_factory=tuple)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predictions for the rows of ``X``, one per row, checked for shape."""
        if len(X) == 0:
            return np.empty(0, dtype=object)
        try:
            predicted = self.predict_function(X)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(
                f"The model {self.name or self.fingerprint[:12]!r} ({self.kind}) failed to "
                f"predict ({type(exc).__name__}: {exc}). Expected a model that accepts a "
                f"DataFrame with the columns {list(X.columns)[:12]}. Fix: train it on these "
                "columns (a scikit-learn Pipeline can select and encode them)."
            ) from exc
        array = np.asarray(predicted)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1 or array.shape[0] != len(X):
            raise ModelError(
                f"The model {self.name or self.fingerprint[:12]!r} returned predictions of shape "
                f"{array.shape} for {len(X)} rows. Expected one label per row, shape "
                f"({len(X)},). Fix: return predict()'s labels, not probabilities or a matrix."
            )
        return array


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse_pickle(path: Path) -> None:
    raise InputFileError(
        f"The model file {path.name!r} is a pickle. Expected a safe-to-load model: a "
        "scikit-learn model saved with skops (skops.io.dump(model, 'h.skops')) or an ONNX "
        "file. Got a pickle, which runs arbitrary code when opened, so it is refused. Fix: "
        "re-save the model with skops or export it to ONNX."
    )


def _sniff(path: Path) -> str:
    if not path.is_file():
        raise InputFileError(f"The model file {str(path)!r} does not exist. Check the path.")
    with path.open("rb") as handle:
        head = handle.read(4)
    if path.suffix.lower() in _PICKLE_SUFFIXES or head[:1] == b"\x80":
        _refuse_pickle(path)
    if head.startswith(b"PK"):
        return "skops"
    if path.suffix.lower() == ".onnx":
        return "onnx"
    if path.suffix.lower() == ".skops":
        raise InputFileError(
            f"The model file {path.name!r} is named .skops but is not a skops archive. "
            "Expected a file written by skops.io.dump. Fix: save the model again with skops."
        )
    raise InputFileError(
        f"The model file {path.name!r} has an unknown type. Expected a skops file (.skops) or "
        "an ONNX file (.onnx). Fix: save the model with skops.io.dump or export it to ONNX."
    )


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError:
        raise MissingExtraError.for_extra("bounty", "Reading skops model files", "skops") from None
    return sio


def _trusted(found: Iterable[str], extra: Iterable[str]) -> tuple[list[str], list[str]]:
    allowed = set(extra) | set(DEFAULT_TRUSTED_TYPES)
    ok, refused = [], []
    for name in found:
        if name in allowed or name.startswith(DEFAULT_TRUSTED_PREFIXES):
            ok.append(name)
        else:
            refused.append(name)
    return ok, refused


def _load_skops(path: Path, trusted_types: Iterable[str]) -> tuple[Any, tuple[str, ...]]:
    sio = _skops()
    try:
        found = sio.get_untrusted_types(file=str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputFileError(
            f"The skops file {path.name!r} cannot be read ({type(exc).__name__}: {exc}). "
            "Expected a file written by skops.io.dump. Fix: save the model again."
        ) from None
    ok, refused = _trusted(found, trusted_types)
    if refused:
        raise InputFileError(
            f"The skops file {path.name!r} holds types that are not trusted: "
            f"{', '.join(refused)}. Expected only scikit-learn types or types the owner lists "
            "as trusted. Fix: if you (the owner) have checked them, pass "
            f"trusted_types={refused!r} when creating or opening the bounty."
        )
    try:
        model = sio.load(str(path), trusted=ok)
    except Exception as exc:
        raise InputFileError(
            f"The skops file {path.name!r} failed to load ({type(exc).__name__}: {exc}). "
            "Expected a scikit-learn model saved with a compatible skops and scikit-learn."
        ) from None
    if not callable(getattr(model, "predict", None)):
        raise ModelError(
            f"The skops file {path.name!r} holds a {type(model).__name__}, which has no "
            "predict(). Expected a fitted scikit-learn estimator or pipeline."
        )
    return model, tuple(sorted(ok))


def _onnx_predict(session: Any, path: Path) -> Callable[[pd.DataFrame], Any]:
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    names = [o.name for o in outputs]
    out_name = "label" if "label" in names else names[0]
    meta = session.get_modelmeta().custom_metadata_map or {}
    features = [c.strip() for c in meta.get("features", "").split(",") if c.strip()]

    def cast(values: np.ndarray, onnx_type: str) -> np.ndarray:
        if "string" in onnx_type:
            return values.astype(str).astype(object)
        if "int64" in onnx_type:
            return values.astype(np.int64)
        if "double" in onnx_type:
            return values.astype(np.float64)
        return values.astype(np.float32)

    def predict(X: pd.DataFrame) -> Any:
        if len(inputs) == 1 and inputs[0].name not in X.columns:
            columns = features or list(X.columns)
            missing = [c for c in columns if c not in X.columns]
            if missing:
                raise ModelError(
                    f"The ONNX model {path.name!r} needs the columns {missing}, which the data "
                    "lacks. Expected its 'features' metadata to name data columns."
                )
            feed = {inputs[0].name: cast(X[columns].to_numpy(), inputs[0].type)}
        else:
            absent = [i.name for i in inputs if i.name not in X.columns]
            if absent:
                raise ModelError(
                    f"The ONNX model {path.name!r} has inputs {absent} that are not columns of "
                    f"the data ({list(X.columns)[:12]}). Expected one input per column, named "
                    "like the column, or one matrix input with a 'features' metadata entry."
                )
            feed = {i.name: cast(X[i.name].to_numpy().reshape(-1, 1), i.type) for i in inputs}
        return session.run([out_name], feed)[0]

    return predict


def _load_onnx(path: Path) -> Callable[[pd.DataFrame], Any]:
    try:
        import onnxruntime as ort
    except ImportError:
        raise MissingExtraError.for_extra(
            "bounty", "Reading ONNX model files", "onnxruntime"
        ) from None
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise InputFileError(
            f"The ONNX file {path.name!r} cannot be opened ({type(exc).__name__}: {exc}). "
            "Expected a valid ONNX model. Fix: export it again (e.g. with skl2onnx)."
        ) from None
    return _onnx_predict(session, path)


def load_model_file(
    path: str | os.PathLike[str],
    *,
    trusted_types: Iterable[str] = (),
    expected_sha256: str | None = None,
) -> LoadedModel:
    """Open a skops or ONNX model file without running code from it.

    Parameters
    ----------
    path : path
        A ``.skops`` file (skops.io.dump) or an ``.onnx`` file.
    trusted_types : iterable of str
        Types beyond scikit-learn's that a skops file may hold (the owner's explicit list).
    expected_sha256 : str, optional
        The fingerprint recorded when the file was certified; a changed file is refused.

    Raises
    ------
    InputFileError
        A pickle, an unknown or unreadable file, untrusted types, or a changed file.
    """
    file = Path(path)
    kind = _sniff(file)
    digest = file_sha256(file)
    if expected_sha256 is not None and digest != expected_sha256:
        raise InputFileError(
            f"The model file {file.name!r} changed since it was certified: expected SHA-256 "
            f"{expected_sha256[:16]}..., got {digest[:16]}.... Fix: restore the original file."
        )
    if kind == "skops":
        model, trusted = _load_skops(file, trusted_types)
        return LoadedModel("skops", digest, model.predict, type(model).__name__, file, trusted)
    return LoadedModel("onnx", digest, _load_onnx(file), file.stem, file)


def _callable_fingerprint(function: Callable[..., Any]) -> str:
    import inspect

    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = repr(function)
    name = getattr(function, "__qualname__", type(function).__name__)
    # Closures share their source: what they captured tells them apart.
    captured = [
        repr(getattr(function, "__defaults__", None)),
        repr(getattr(function, "__kwdefaults__", None)),
    ]
    for cell in getattr(function, "__closure__", None) or ():
        try:
            captured.append(repr(cell.cell_contents))
        except ValueError:  # an empty cell
            captured.append("<empty>")
    text = "\n".join(["callable", name, source, *captured])
    return hashlib.sha256(text.encode()).hexdigest()


def _write_skops(model: Any, directory: Path) -> Path:
    sio = _skops()
    directory.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(suffix=".skops", dir=directory)
    os.close(handle)
    try:
        sio.dump(model, temp)
    except Exception as exc:
        Path(temp).unlink(missing_ok=True)
        raise ModelError(
            f"The model {type(model).__name__} cannot be saved with skops "
            f"({type(exc).__name__}: {exc}). Expected a fitted scikit-learn estimator; or pass a "
            "callable, which the bounty keeps in memory only."
        ) from None
    return Path(temp)


def model_from_object(
    model: Any,
    directory: Path,
    *,
    trusted_types: Iterable[str] = (),
) -> LoadedModel:
    """A model handed over in Python: a file path, a fitted estimator, or a callable.

    A fitted scikit-learn estimator is written to ``directory`` as a skops file
    (named by its SHA-256) and read back through the same trusted-types check as
    a submitted file, so what is certified is what is stored.
    """
    if isinstance(model, str | os.PathLike):
        loaded = load_model_file(model, trusted_types=trusted_types)
        return store_model_file(loaded, directory)
    if isinstance(model, bytes | bytearray):
        raise InputFileError(
            "Expected a model file path, a fitted scikit-learn estimator or a callable. Got raw "
            "bytes, which could be a pickle. Fix: save the model with skops and pass the path."
        )
    if callable(getattr(model, "predict", None)):
        temp = _write_skops(model, directory)
        try:
            loaded = load_model_file(temp, trusted_types=trusted_types)
            return store_model_file(loaded, directory)
        finally:
            temp.unlink(missing_ok=True)
    if callable(model):
        name = str(getattr(model, "__name__", type(model).__name__))
        return LoadedModel("callable", _callable_fingerprint(model), model, name)
    raise ModelError(
        "Expected a model: the path of a .skops or .onnx file, a fitted scikit-learn estimator "
        f"(with predict), or a callable X -> labels. Got {type(model).__name__}."
    )


def store_model_file(loaded: LoadedModel, directory: Path) -> LoadedModel:
    """Copy a loaded model's file into ``directory`` under its fingerprint (atomically)."""
    assert loaded.file is not None
    suffix = ".skops" if loaded.kind == "skops" else ".onnx"
    target = directory / f"{loaded.fingerprint}{suffix}"
    if loaded.file.resolve() == target.resolve():
        return loaded
    directory.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        handle, temp = tempfile.mkstemp(suffix=suffix, dir=directory)
        with os.fdopen(handle, "wb") as out, loaded.file.open("rb") as src:
            out.write(src.read())
        os.replace(temp, target)
    loaded.file = target
    return loaded
