"""The app's column guesses on a corpus of real-looking files, as users upload them.

Each file is written to disk and read back through ``workbench.read_table`` (types
as a CSV gives them), then guessed: label, prediction and score from names *and*
values, identifiers left out, and a reason for every guess.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.app import guess_columns

N = 1200


def _flip(truth: np.ndarray, rng: np.random.Generator, rate: float, values: list[object]) -> list:
    """A model's output: the truth, wrong on about ``rate`` of the rows."""
    wrong = rng.random(len(truth)) < rate
    other = rng.choice(values, len(truth))
    return [o if w and o != t else t for t, o, w in zip(truth, other, wrong, strict=True)]


def loan(rng: np.random.Generator) -> pd.DataFrame:
    outcome = rng.choice(["approved", "denied"], N, p=[0.7, 0.3])
    return pd.DataFrame(
        {
            "application_id": rng.permutation(N) + 100_000,
            "applicant_age": rng.integers(18, 80, N),
            "annual_income": rng.lognormal(10.8, 0.5, N).round(-2),
            "loan_amount": rng.integers(1, 60, N) * 1000,
            "employment_years": rng.integers(0, 40, N),
            "region": rng.choice(["north", "south", "east", "west"], N),
            "true_outcome": outcome,
            "model_decision": _flip(outcome, rng, 0.2, ["approved", "denied"]),
        }
    )


def hiring(rng: np.random.Generator) -> pd.DataFrame:
    hired = rng.integers(0, 2, N)
    return pd.DataFrame(
        {
            "candidate_uuid": [f"c-{rng.integers(1e9):09d}-{i}" for i in range(N)],
            "years_experience": rng.integers(0, 30, N),
            "education": rng.choice(["high school", "bachelor", "master", "phd"], N),
            "gender": rng.choice(["female", "male", "nonbinary"], N),
            "interview_score": rng.uniform(0, 10, N).round(1),
            "hired": hired,
            "recommended": _flip(hired, rng, 0.25, [0, 1]),
            "rec_probability": rng.uniform(0, 1, N).round(3),
        }
    )


def medical(rng: np.random.Generator) -> pd.DataFrame:
    truth = rng.choice(["positive", "negative"], N, p=[0.2, 0.8])
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:05d}" for i in rng.permutation(N)],
            "age": rng.integers(20, 95, N),
            "sex": rng.choice(["F", "M"], N),
            "bmi": rng.normal(27, 5, N).round(1),
            "smoker": rng.choice(["yes", "no"], N),
            "diagnosis": truth,
            "predicted_diagnosis": _flip(truth, rng, 0.15, ["positive", "negative"]),
            "risk_score": rng.uniform(0, 1, N).round(3),
        }
    )


WORDS = [
    "the",
    "cat",
    "sat",
    "on",
    "a",
    "mat",
    "while",
    "it",
    "rained",
    "over",
    "quiet",
    "hills",
    "and",
    "rivers",
]


def _sentences(rng: np.random.Generator) -> list[str]:
    return [" ".join(rng.choice(WORDS, rng.integers(4, 10))) for _ in range(N)]


def _misheard(texts: list[str], rng: np.random.Generator) -> list[str]:
    out = []
    for text in texts:
        words = text.split()
        words[rng.integers(len(words))] = str(rng.choice(WORDS))
        out.append(" ".join(words))
    return out


def speech(rng: np.random.Generator) -> pd.DataFrame:
    ref = _sentences(rng)
    return pd.DataFrame(
        {
            "utt_id": [f"utt{i:05d}" for i in range(N)],
            "speaker": rng.choice([f"s{i}" for i in range(40)], N),
            "accent": rng.choice(["scottish", "indian", "us", "nigerian"], N),
            "snr_db": rng.uniform(0, 30, N).round(1),
            "duration_s": rng.uniform(1, 12, N).round(2),
            "reference": ref,
            "hypothesis": _misheard(ref, rng),
        }
    )


def speech_plain_names(rng: np.random.Generator) -> pd.DataFrame:
    ref = _sentences(rng)
    return pd.DataFrame(
        {
            "clip": [f"clips/{i}.wav" for i in range(N)],
            "noise": rng.choice(["cafe", "street", "none"], N),
            "ground_truth_text": ref,
            "recognized_text": _misheard(ref, rng),
        }
    )


def images(rng: np.random.Generator) -> pd.DataFrame:
    smiling = rng.choice([True, False], N)
    return pd.DataFrame(
        {
            "image_path": [f"faces/img_{i:05d}.jpg" for i in range(N)],
            "skin_tone": rng.choice(["light", "medium", "dark"], N),
            "lighting": rng.choice(["dim", "normal", "bright"], N),
            "brightness": rng.uniform(0, 255, N).round(1),
            "smiling": smiling,
            "predicted_smiling": _flip(smiling, rng, 0.2, [True, False]),
            "smile_score": rng.uniform(0, 1, N).round(3),
        }
    )


def house_prices(rng: np.random.Generator) -> pd.DataFrame:
    sqft = rng.integers(400, 4000, N)
    price = (sqft * 210 + rng.normal(0, 40_000, N)).round(-3)
    return pd.DataFrame(
        {
            "listing_id": rng.permutation(N) + 1,
            "sqft": sqft,
            "bedrooms": rng.integers(1, 6, N),
            "neighborhood": rng.choice(["downtown", "suburb", "rural"], N),
            "year_built": rng.integers(1900, 2024, N),
            "sale_price": price,
            "predicted_price": (price + rng.normal(0, 30_000, N)).round(-3),
        }
    )


def churn(rng: np.random.Generator) -> pd.DataFrame:
    churned = rng.choice(["Yes", "No"], N, p=[0.25, 0.75])
    return pd.DataFrame(
        {
            "customer_id": [f"{rng.integers(1000, 9999)}-{i:05d}" for i in range(N)],
            "tenure_months": rng.integers(0, 72, N),
            "plan": rng.choice(["basic", "plus", "premium"], N),
            "monthly_charges": rng.uniform(20, 120, N).round(2),
            "churned": churned,
            "churn_pred": _flip(churned, rng, 0.2, ["Yes", "No"]),
            "churn_prob": rng.uniform(0, 1, N).round(3),
        }
    )


def fraud(rng: np.random.Generator) -> pd.DataFrame:
    is_fraud = (rng.random(N) < 0.05).astype(int)
    return pd.DataFrame(
        {
            "transaction_id": rng.permutation(N) + 5_000_000,
            "amount": rng.lognormal(3.5, 1.2, N).round(2),
            "merchant_category": rng.choice(["grocery", "travel", "online", "fuel"], N),
            "country": rng.choice(["DE", "FR", "US", "BR", "IN"], N),
            "hour": rng.integers(0, 24, N),
            "is_fraud": is_fraud,
            "flagged_by_model": _flip(is_fraud, rng, 0.05, [0, 1]),
            "fraud_score": rng.uniform(0, 1, N).round(4),
        }
    )


def credit_default(rng: np.random.Generator) -> pd.DataFrame:
    default = (rng.random(N) < 0.3).astype(int)
    return pd.DataFrame(
        {
            "duration_months": rng.integers(4, 72, N),
            "purpose": rng.choice(["car", "furniture", "education", "business"], N),
            "existing_credits": rng.integers(1, 5, N),
            "num_dependents": rng.integers(1, 3, N),
            "default": default,
            "y_hat": _flip(default, rng, 0.2, [0, 1]),
        }
    )


def toxicity(rng: np.random.Generator) -> pd.DataFrame:
    toxic = rng.integers(0, 2, N)
    return pd.DataFrame(
        {
            "comment_id": [f"{rng.integers(16**8):08x}{i:04d}" for i in range(N)],
            "comment_text": _sentences(rng),
            "platform": rng.choice(["forum", "news", "video"], N),
            "toxic": toxic,
            "model_label": _flip(toxic, rng, 0.2, [0, 1]),
        }
    )


#: name -> (make the table, expected (label, prediction, score), identifiers)
CORPUS: dict[str, tuple[Callable[[np.random.Generator], pd.DataFrame], tuple, list[str]]] = {
    "loan": (loan, ("true_outcome", "model_decision", None), ["application_id"]),
    "hiring": (hiring, ("hired", "recommended", "rec_probability"), ["candidate_uuid"]),
    "medical": (medical, ("diagnosis", "predicted_diagnosis", "risk_score"), ["patient_id"]),
    "speech": (speech, ("reference", "hypothesis", None), ["utt_id"]),
    "speech-plain-names": (
        speech_plain_names,
        ("ground_truth_text", "recognized_text", None),
        ["clip"],
    ),
    "images": (images, ("smiling", "predicted_smiling", "smile_score"), ["image_path"]),
    "house-prices": (house_prices, ("sale_price", "predicted_price", None), ["listing_id"]),
    "churn": (churn, ("churned", "churn_pred", "churn_prob"), ["customer_id"]),
    "fraud": (fraud, ("is_fraud", "flagged_by_model", "fraud_score"), ["transaction_id"]),
    "credit-default": (credit_default, ("default", "y_hat", None), []),
    "toxicity": (toxicity, ("toxic", "model_label", None), ["comment_id"]),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_guesses_on_real_looking_files(name: str, tmp_path: Path) -> None:
    make, expected, identifiers = CORPUS[name]
    path = tmp_path / f"{name}.csv"
    make(np.random.default_rng(len(name))).to_csv(path, index=False)
    frame = wb.read_table(path)
    guess = guess_columns(frame)
    assert (guess.label, guess.prediction, guess.score) == expected
    assert guess.identifiers == identifiers
    assert not set(identifiers) & set(guess.features)
    assert guess.reasons["label"] and guess.reasons["prediction"]
    if guess.score is not None:
        assert guess.reasons["score"]


def test_the_app_shows_its_reasons_and_skips_ids(
    tmp_path: Path,
) -> None:
    from workbench.app import AuditApp

    app = AuditApp(workdir=tmp_path / "app")
    data = loan(np.random.default_rng(1)).to_csv(index=False).encode()
    app.load_file(data, "loans.csv")
    assert (app.label_choice.value, app.prediction_choice.value) == (
        "true_outcome",
        "model_decision",
    )
    assert "true_outcome" in app.guess_notes.value and "reads like" in app.guess_notes.value
    assert not app.feature_boxes["application_id"].value
    assert app.feature_boxes["applicant_age"].value


def test_a_wrong_guess_is_fixed_in_the_menus(tmp_path: Path) -> None:
    from workbench.app import AuditApp

    app = AuditApp(workdir=tmp_path / "app")
    data = loan(np.random.default_rng(1)).to_csv(index=False).encode()
    app.load_file(data, "loans.csv")
    app.choose_columns(label="application_id", prediction="applicant_age")
    app.prepare()
    assert app.columns_msg.level == "error"
    assert "Label and Prediction menus" in app.columns_msg.text
