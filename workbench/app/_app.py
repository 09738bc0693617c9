"""AuditApp: the code-free audit, one widget from loading data to a claim file.

    data (sample or upload) ──► columns and metric ──► Workbench ──► scan (thread)
        ──► explorer (flag slices) ──► flagged CSV + one claim JSON per flagged slice

A thin front over the public API: every step calls what a notebook user would
(``read_table``, ``Workbench.from_predictions``, ``scan``, ``explore``, ``flagged``,
``export_claim``), and each step has a method (:meth:`AuditApp.load_sample`,
:meth:`~AuditApp.load_file`, :meth:`~AuditApp.prepare`, :meth:`~AuditApp.run_scan`,
:meth:`~AuditApp.export`) that the buttons call, so tests drive it without a
browser. Whatever goes wrong is shown as a message in the app, never a traceback.
Imports ipywidgets, pandas, the public ``workbench`` API and the widgets package
(the shared scan controls and runner, HTML helpers; the explorer through
``Workbench.explore``).
"""

from __future__ import annotations

import logging
import shlex
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import ipywidgets as w
import pandas as pd

import workbench as wb
from workbench.app import _style as style
from workbench.app._bounty import BountyStep
from workbench.app._columns import guess_columns, missing_counts
from workbench.app._columns import is_text as guess_is_text
from workbench.app._session import (
    SessionKey,
    default_sessions_dir,
    next_store,
    open_saved,
    read_manifest,
    write_manifest,
)
from workbench.samples import IMAGE_FEATURES
from workbench.widgets import ScanInputs

__all__ = ["METRIC_CHOICES", "SAMPLE_CHOICES", "AuditApp"]

log = logging.getLogger(__name__)

#: Metric dropdown: (label shown, value passed to ``Workbench.from_predictions``).
METRIC_CHOICES: tuple[tuple[str, str], ...] = (
    ("Automatic (from the label's type)", "auto"),
    ("Error rate: share of wrong classes", "error_rate"),
    ("Log loss (needs a score column)", "log_loss"),
    ("Absolute error (numeric target)", "absolute_error"),
    ("Squared error (numeric target)", "squared_error"),
    ("Word error rate (speech)", "wer"),
    ("Character error rate (text)", "cer"),
)


class SampleChoice(NamedTuple):
    """A bundled sample as the app offers it, with its columns preselected."""

    title: str
    label: str
    prediction: str
    score: str | None
    metric: str | None = None
    features: tuple[str, ...] | None = None  # None: every column but the other model's


#: Bundled samples the app offers, by name.
SAMPLE_CHOICES: dict[str, SampleChoice] = {
    "adult": SampleChoice(
        "Adult census income: predictions of a >50K classifier (16,281 people)",
        "income",
        "pred_v1",
        "proba_v1",
    ),
    "speech": SampleChoice(
        "Speech: ASR transcripts by synthetic accent and noise (4,160 clips)",
        "reference",
        "hypothesis",
        None,
        metric="wer",
        features=(
            "accent",
            "speaker",
            "noise_type",
            "condition",
            "channel",
            "snr_db",
            "loudness_dbfs",
            "speaking_rate_wps",
            "bandwidth_hz",
        ),
    ),
    "images": SampleChoice(
        "Images: a smile classifier on rendered faces, with skin tone and lighting (5,000)",
        "smiling",
        "prediction",
        "score",
        features=IMAGE_FEATURES,
    ),
}

NO_SCORE = "(none)"
#: Added to errors about the label or prediction: the usual fix is a menu, not the file.
MENU_HINT = (
    "If {label!r} is not the true outcome or {prediction!r} not the model's output, pick "
    "the right columns in the Label and Prediction menus above (step 2), then press "
    "“Prepare data” again."
)
#: Added to errors about reading a CSV: the menus under the upload can fix most.
FORMAT_HINT = (
    "If the file is a table, change how it is read in the menus below (delimiter, decimal "
    "mark, encoding) and press “Read the file again”."
)
#: What the file picker offers (the reader also checks the full suffix, e.g. ``.csv.gz``).
UPLOAD_ACCEPT = ".csv,.tsv,.txt,.gz,.parquet,.pq"
#: The "how the file is read" menus: (label shown, value passed to ``read_table``);
#: ``AUTO`` lets the reader detect it.
AUTO = "auto"
DELIMITER_CHOICES = (
    ("Detect", AUTO),
    ("Comma  ,", ","),
    ("Semicolon  ;", ";"),
    ("Tab", "\t"),
    ("Pipe  |", "|"),
)
DECIMAL_CHOICES = (("Detect", AUTO), ("Point  1.5", "."), ("Comma  1,5", ","))
THOUSANDS_CHOICES = (
    ("Detect", AUTO),
    ("None  1234", ""),
    ("Comma  1,234", ","),
    ("Point  1.234", "."),
    ("Space  1 234", " "),
    ("Apostrophe  1'234", "'"),
)
ENCODING_CHOICES = (
    ("Detect", AUTO),
    ("UTF-8", "utf-8"),
    ("UTF-8 with BOM", "utf-8-sig"),
    ("UTF-16", "utf-16"),
    ("Windows-1252", "cp1252"),
    ("Latin-1", "latin-1"),
)
#: What the upload button says before and after a file was chosen.
UPLOAD_LABEL = "Upload a CSV, TSV or Parquet file"
UPLOAD_AGAIN_LABEL = "Upload another file"


class _Message(w.HTML):
    """A styled message area; ``level`` and ``text`` say what it shows (for tests)."""

    def __init__(self) -> None:
        super().__init__("", layout=w.Layout(width="100%"))
        self.level = ""
        self.text = ""

    def show(self, level: str, lead: str, details: Sequence[str] = ()) -> None:
        self.level, self.text = level, " ".join([lead, *details])
        self.value = style.message_html(level, lead, tuple(details))

    def clear(self) -> None:
        self.level, self.text, self.value = "", "", ""


def _card(children: list[w.Widget], *, visible: bool = True) -> w.VBox:
    box = w.VBox(children, layout=w.Layout(width="100%", display=None if visible else "none"))
    box.add_class("wb-app-card")
    return box


def _user_note(note: str) -> str:
    """A note of the API, worded for the app (no parameter names)."""
    note = note.replace(" (pass metric=... to change)", "; pick another in the Metric menu")
    return f"{note[:1].upper()}{note[1:]}."


def _row_layout(**extra: str) -> w.Layout:
    # ipywidgets' Layout has no ``gap``; the spacing comes from the stylesheet's
    # ``.wb-app-card .widget-hbox`` rule.
    return w.Layout(**{"flex_flow": "row wrap", "align_items": "center", **extra})


def _show(box: w.Widget, visible: bool) -> None:
    box.layout.display = None if visible else "none"


class AuditApp(w.VBox):
    """A code-free audit of a model's predictions: load, scan, flag, export, submit.

    Five steps on one page (served by Voilà as ``workbench app``, or on Binder):

    1. choose the bundled sample or upload a CSV / parquet file of predictions;
    2. pick the label, prediction and optional score columns (guessed from names
       and values), the features to search over, and the metric;
    3. find failing slices (the scan runs in a thread, with a progress bar), then
       browse and flag them in the explorer;
    4. download the flagged slices as CSV and a claim file per flagged slice,
       which a model owner re-checks with ``workbench verify CLAIM.json --data DATA``;
    5. bias bounty: turn a slice into a submission (its group and a model trained on
       the auditor's rows in it) and, on the owner's side, show a bounty's ledger.

    Parameters
    ----------
    max_upload_mb : float
        Larger uploads are refused with a message (the browser sends the whole
        file to the kernel, which holds it in memory).
    workdir : path, optional
        Where the DuckDB store and exported files go; default a new temporary folder.

    Examples
    --------
    >>> app = AuditApp()  # doctest: +SKIP
    >>> app.load_sample("adult"); app.prepare(); app.run_scan(wait=True)  # doctest: +SKIP
    >>> app.explorer.select(app.findings[0].slice_id); app.explorer.flag(note="why")  # doctest: +SKIP
    >>> app.export()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        max_upload_mb: float = 200,
        workdir: str | Path | None = None,
        sessions_dir: str | Path | None = None,
    ) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.add_class("wb-app")
        self.add_class("wb-app-root")
        self.max_upload_bytes = int(max_upload_mb * 1_000_000)
        self.workdir = (
            Path(workdir)
            if workdir is not None
            else Path(tempfile.mkdtemp(prefix="workbench-app-"))
        )
        self.frame: pd.DataFrame | None = None
        self.media_root: Path | None = None  # where relative media paths of the data start
        self.data_name = ""
        self.bench: wb.Workbench | None = None
        self.findings: wb.Findings | None = None
        self.explorer: Any = None
        self.exported: dict[str, Path] = {}
        self._updating = False
        self.sessions_dir = (
            Path(sessions_dir)
            if sessions_dir is not None
            else (self.workdir / "sessions" if workdir is not None else default_sessions_dir())
        )
        # The browser's key for this session; when it arrives, work is kept under it.
        self.session = SessionKey()
        self.session.observe(self._on_session_key, "key")
        self._build()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        label_style = {"description_width": "90px"}
        self.plain_toggle = w.Checkbox(
            True,
            description="Explain the statistics in plain words",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.plain_toggle.observe(self._on_plain, "value")
        # 1. data
        self.sample_choice = w.Dropdown(
            options=[(v.title, k) for k, v in SAMPLE_CHOICES.items()],
            description="Sample",
            style={"description_width": "60px"},
            layout=w.Layout(width="520px"),
        )
        self.sample_button = w.Button(
            description="Use this sample",
            icon="table",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.sample_button.on_click(lambda _: self.load_sample(str(self.sample_choice.value)))
        self.upload = w.FileUpload(
            accept=UPLOAD_ACCEPT,
            multiple=False,
            description="Upload CSV / parquet",
            # ipywidgets writes "description (number of files)" on the button, which reads
            # "(0)" once the bytes are released; the stylesheet shows this tooltip instead.
            tooltip=UPLOAD_LABEL,
            layout=w.Layout(width="auto"),
        )
        self.upload.add_class("wb-app-upload")
        self.upload.observe(self._on_upload, "value")
        self.upload_name = w.HTML(layout=w.Layout(width="auto"))
        self.data_msg = _Message()
        self.preview = w.HTML()
        self._build_format_controls()
        limit = style.size_text(self.max_upload_bytes)
        self.data_card = _card(
            [
                w.HTML(
                    style.step_html(
                        1,
                        "Load predictions",
                        "a bundled sample, or your own CSV / parquet file "
                        f"(up to {limit}; one row per example)",
                    )
                ),
                w.HBox(
                    [self.sample_choice, self.sample_button],
                    layout=_row_layout(),
                ),
                w.HBox(
                    [
                        w.HTML('<span class="wb-app wb-app-hint">or</span>'),
                        self.upload,
                        self.upload_name,
                    ],
                    layout=_row_layout(margin="4px 0 0 0"),
                ),
                self.data_msg,
                self.format_box,
                self.preview,
            ]
        )
        # 2. columns
        self.label_choice = w.Dropdown(description="Label", style=label_style)
        self.prediction_choice = w.Dropdown(description="Prediction", style=label_style)
        self.score_choice = w.Dropdown(description="Score", style=label_style)
        self.metric_choice = w.Dropdown(
            options=list(METRIC_CHOICES), value="auto", description="Metric", style=label_style
        )
        for dropdown in (self.label_choice, self.prediction_choice, self.score_choice):
            dropdown.layout = w.Layout(width="340px")
            dropdown.observe(self._on_roles, "value")
        self.metric_choice.layout = w.Layout(width="340px")
        self.guess_notes = w.HTML(layout=w.Layout(width="100%"))
        self.feature_boxes: dict[str, w.Checkbox] = {}
        self.features_grid = w.GridBox(
            layout=w.Layout(
                grid_template_columns="repeat(auto-fill, minmax(190px, 1fr))",
                width="100%",
                grid_gap="0 8px",
            )
        )
        self.features_grid.add_class("wb-app-features")
        self.all_button = w.Button(
            description="Select all", layout=w.Layout(width="auto", min_width="fit-content")
        )
        self.none_button = w.Button(
            description="Clear", layout=w.Layout(width="auto", min_width="fit-content")
        )
        self.all_button.on_click(lambda _: self._tick_all(True))
        self.none_button.on_click(lambda _: self._tick_all(False))
        self.prepare_button = w.Button(
            description="Prepare data",
            icon="check",
            button_style="primary",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.prepare_button.on_click(lambda _: self.prepare())
        self.drop_button = w.Button(
            description="Drop those rows and continue",
            button_style="warning",
            layout=w.Layout(width="auto", display="none"),
        )
        self.drop_button.on_click(lambda _: self.prepare(drop_missing=True))
        self.columns_msg = _Message()
        self.columns_card = _card(
            [
                w.HTML(
                    style.step_html(
                        2,
                        "Choose columns",
                        "guessed from names and values; change anything that is wrong",
                    )
                ),
                w.HBox(
                    [
                        w.VBox([self.label_choice, self.prediction_choice]),
                        w.VBox([self.score_choice, self.metric_choice]),
                    ],
                    layout=_row_layout(align_items="flex-start"),
                ),
                self.guess_notes,
                w.HBox(
                    [
                        w.HTML('<div class="wb-app wb-app-label">Features to search over</div>'),
                        self.all_button,
                        self.none_button,
                    ],
                    layout=_row_layout(margin="8px 0 0 0"),
                ),
                self.features_grid,
                w.HBox(
                    [self.prepare_button, self.drop_button],
                    layout=_row_layout(margin="8px 0 0 0"),
                ),
                self.columns_msg,
            ],
            visible=False,
        )
        # 3. scan
        self.scan_inputs = ScanInputs.create("Find failing slices", "search")
        self.scan_k = self.scan_inputs.k
        self.scan_depth = self.scan_inputs.depth
        self.scan_support = self.scan_inputs.support
        self.scan_button = self.scan_inputs.button
        self.scan_button.on_click(lambda _: self.run_scan())
        self.progress = self.scan_inputs.progress
        self.scan_status = self.scan_inputs.status
        self.scan_controls = w.HBox(self.scan_inputs.widgets, layout=_row_layout())
        self.scan_msg = _Message()
        self.explorer_box = w.Box(layout=w.Layout(width="100%"))
        self.scan_card = _card(
            [
                w.HTML(
                    style.step_html(
                        3,
                        "Find failing slices",
                        "min support below 1 is a share of the rows, from 1 up a row count",
                    )
                ),
                self.scan_controls,
                self.plain_toggle,
                self.scan_msg,
                self.explorer_box,
            ],
            visible=False,
        )
        # 4. export
        self.export_button = w.Button(
            description="Export flagged slices",
            icon="download",
            button_style="primary",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.export_button.on_click(lambda _: self.export())
        self.export_msg = _Message()
        self.downloads = w.HTML()
        self.export_card = _card(
            [
                w.HTML(
                    style.step_html(
                        4,
                        "Export",
                        "flag slices in the explorer above (select one, add a note, press "
                        "“Flag slice”), then export them",
                    )
                ),
                self.export_button,
                self.export_msg,
                self.downloads,
            ],
            visible=False,
        )
        # 5. bias bounty
        self.bounty = BountyStep(self)
        self.bounty_card = _card(
            [
                w.HTML(
                    style.step_html(
                        5,
                        "Bias bounty",
                        "turn a slice into a submission: the group and a model trained on your "
                        "rows in it, for the model's owner to certify on their own holdout",
                    )
                ),
                self.bounty,
            ],
            visible=False,
        )
        self.saved_line = w.HTML()
        self.children = [
            w.HTML(style.header_html()),
            self.session,
            self.saved_line,
            self.data_card,
            self.columns_card,
            self.scan_card,
            self.export_card,
            self.bounty_card,
        ]

    def _build_format_controls(self) -> None:
        """Menus that say how an uploaded CSV is read, shown once one is uploaded."""
        style_ = {"description_width": "initial"}
        menu = w.Layout(width="auto")
        self.format_delimiter = w.Dropdown(
            options=list(DELIMITER_CHOICES), value=AUTO, description="Delimiter", style=style_
        )
        self.format_decimal = w.Dropdown(
            options=list(DECIMAL_CHOICES), value=AUTO, description="Decimal mark", style=style_
        )
        self.format_thousands = w.Dropdown(
            options=list(THOUSANDS_CHOICES),
            value=AUTO,
            description="Thousands separator",
            style=style_,
        )
        self.format_encoding = w.Dropdown(
            options=list(ENCODING_CHOICES), value=AUTO, description="Encoding", style=style_
        )
        self.format_missing = w.Text(
            description="Also missing",
            placeholder="e.g. NA, null (empty cells always are)",
            continuous_update=False,  # whole, before the button's click (see the explorer's note)
            style=style_,
            layout=w.Layout(width="320px"),
        )
        for control in (
            self.format_delimiter,
            self.format_decimal,
            self.format_thousands,
            self.format_encoding,
        ):
            control.layout = menu
        self.format_button = w.Button(
            description="Read the file again",
            icon="refresh",
            tooltip="Read the uploaded file again with these settings",
            layout=w.Layout(width="auto", min_width="fit-content"),
        )
        self.format_button.on_click(lambda _: self.read_again())
        self.format_box = w.VBox(
            [
                w.HTML(
                    '<div class="wb-app wb-app-label">How the file is read</div>'
                    '<div class="wb-app wb-app-hint">Detected from the file; if the preview '
                    "below looks wrong (one column, numbers as text, 0.125 read as 125, odd "
                    "letters), change these and read the file again.</div>"
                ),
                w.HBox(
                    [
                        self.format_delimiter,
                        self.format_decimal,
                        self.format_thousands,
                        self.format_encoding,
                        self.format_missing,
                        self.format_button,
                    ],
                    layout=_row_layout(),
                ),
            ],
            layout=w.Layout(width="100%", display="none", margin="6px 0 0 0"),
        )
        self.format_box.add_class("wb-app-format")
        self._upload_path: Path | None = None  # the uploaded CSV, kept to read it again
        self._upload_size = 0

    def csv_options(self) -> dict[str, Any]:
        """The reading options chosen in the "How the file is read" menus (None: detect)."""

        def chosen(control: w.Dropdown) -> str | None:
            return None if control.value == AUTO else str(control.value)

        missing = [v.strip() for v in self.format_missing.value.split(",") if v.strip()]
        return {
            "delimiter": chosen(self.format_delimiter),
            "decimal": chosen(self.format_decimal),
            "thousands": chosen(self.format_thousands),
            "encoding": chosen(self.format_encoding),
            "na_values": missing or None,
        }

    def _show_format(self, fmt: dict[str, Any] | None) -> None:
        """Set the menus to the format the file was read with (or back to "Detect")."""
        values = fmt or {}
        for control, key in (
            (self.format_delimiter, "delimiter"),
            (self.format_decimal, "decimal"),
            (self.format_thousands, "thousands"),
            (self.format_encoding, "encoding"),
        ):
            value = values.get(key, AUTO)
            if value not in [v for _, v in control.options]:
                control.options = [*control.options, (repr(value), value)]
            control.value = value
        self.format_missing.value = ", ".join(values.get("na_values", ()))

    # -- guarding ----------------------------------------------------------------------------
    def _guard(self, message: _Message, action: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a step; show what went wrong in ``message`` instead of raising."""
        try:
            return action(*args, **kwargs)
        except wb.WorkbenchError as exc:
            message.show("error", str(exc))
        except MemoryError:
            message.show(
                "error",
                "The data does not fit in this machine's memory. Upload fewer rows or columns "
                "(for example a random sample), or run the workbench on a larger machine.",
            )
        except Exception as exc:  # the app must keep working whatever happens
            log.warning("unexpected error in the audit app", exc_info=True)
            message.show(
                "error",
                f"Something went wrong that the app did not expect ({type(exc).__name__}: "
                f"{exc}). Nothing was lost: check the input and try again.",
            )
        return None

    # -- 1. data -----------------------------------------------------------------------------
    def load_sample(self, name: str = "adult") -> pd.DataFrame | None:
        """Load a bundled sample and preselect its label, prediction and score columns."""
        return self._guard(self.data_msg, self._load_sample, name)

    def _load_sample(self, name: str) -> pd.DataFrame:
        if name not in SAMPLE_CHOICES:
            raise wb.ParameterError(
                f"Unknown sample {name!r}. Expected one of {', '.join(SAMPLE_CHOICES)}."
            )
        path = wb.sample_path(name)
        frame = wb.read_table(path)
        self._upload_path = None
        self.upload_name.value = ""
        self.upload.tooltip = UPLOAD_LABEL
        _show(self.format_box, False)
        choice = SAMPLE_CHOICES[name]
        self._set_frame(frame, path.name, f"bundled sample <b>{style.esc(path.name)}</b>")
        # The samples' image and audio paths are relative to the repository root.
        self.media_root = wb.sample_path(name).parents[2]
        self.choose_columns(
            label=choice.label,
            prediction=choice.prediction,
            score=choice.score,
            metric=choice.metric,
            features=choice.features,
        )
        return frame

    def _on_upload(self, change: dict[str, Any]) -> None:
        entries = change["new"]
        if not entries:
            return
        entry = entries[0]
        self.upload.tooltip = UPLOAD_AGAIN_LABEL
        self.upload_name.value = style.chosen_file_html(str(entry["name"]), len(entry["content"]))
        self._guard(
            self.data_msg, self.load_file, bytes(entry["content"]), str(entry["name"]), entry
        )
        # Free the upload's memory; the kernel keeps the parsed table only.
        self.upload.value = ()

    def load_file(
        self, content: bytes, name: str, _entry: dict[str, Any] | None = None
    ) -> pd.DataFrame | None:
        """Load the bytes of an uploaded CSV / TSV / parquet file (its name tells the type).

        Returns the table, or None (and a message in the app) when it cannot be used.
        """
        return self._guard(self.data_msg, self._load_file, content, name, _entry)

    def _load_file(
        self, content: bytes, name: str, entry: dict[str, Any] | None
    ) -> pd.DataFrame | None:
        # The bytes that came, not the size the browser reports about them.
        size = len(content)
        if size > self.max_upload_bytes:
            self.data_msg.show(
                "error",
                f"The file {name!r} is {style.size_text(size)}, more than the "
                f"{style.size_text(self.max_upload_bytes)} this app accepts.",
                [
                    "Upload a random sample of the rows, or leave out columns you do not need.",
                    "Parquet files are several times smaller than CSV for the same table.",
                    "Or run the scan from Python or the command line (workbench scan), "
                    "which has no size limit.",
                ],
            )
            return None
        lower = name.lower()
        if not any(lower.endswith(s) for s in wb.SUPPORTED_SUFFIXES):
            suffix = Path(name).suffix or "(no suffix)"
            raise wb.InputFileError(
                f"The file {name!r} has the type {suffix!r}, which the workbench cannot read. "
                "Expected a CSV (.csv, .tsv, .txt, optionally .gz) or parquet (.parquet) file "
                "with a header row; export your table in one of those formats."
            )
        self._upload_path = None
        _show(self.format_box, False)
        if lower.endswith((".parquet", ".pq")):
            # The same limit holds for the unpacked data (parquet: checked on its metadata).
            frame = wb.read_table(content, name=name, max_bytes=self.max_upload_bytes)
            self._set_frame(
                frame,
                name,
                f"uploaded <b>{style.esc(name)}</b> ({style.size_text(size)}; read as parquet)",
            )
            return frame
        # A text table is kept on disk (not in memory), so it can be read again with other
        # settings from the "How the file is read" menus.
        folder = self.workdir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (Path(name).name or "upload.csv")
        path.write_bytes(content)
        self._upload_path, self._upload_size = path, size
        self._show_format(None)
        return self._read_upload()

    def read_again(self) -> pd.DataFrame | None:
        """Read the uploaded CSV again with the options in the "How the file is read" menus."""
        return self._guard(self.data_msg, self._read_upload)

    def _read_upload(self) -> pd.DataFrame | None:
        path = self._upload_path
        if path is None:
            raise wb.DataError("Upload a CSV file first; only CSV files have reading options.")
        name = path.name
        try:
            # The same limit holds for the unpacked data (gzip is unpacked in a streaming
            # fashion and stopped at the limit).
            frame = wb.read_table(path, max_bytes=self.max_upload_bytes, **self.csv_options())
            fmt = frame.attrs["csv_format"]
            how = (
                ("gzipped " if name.lower().endswith(".gz") else "")
                + "CSV, "
                + wb.CsvFormat(
                    **{
                        **fmt,
                        "na_values": tuple(fmt["na_values"]),
                        "notes": tuple(fmt.get("notes", ())),
                    }
                ).describe()
            )
            self._set_frame(
                frame,
                name,
                f"uploaded <b>{style.esc(name)}</b> ({style.size_text(self._upload_size)}; "
                f"read as {style.esc(how)})",
            )
        except wb.NotATableError:
            self._upload_path = None
            path.unlink(missing_ok=True)
            raise
        except wb.WorkbenchError as exc:
            self._reset_after_data()
            self.frame = None
            self.preview.value = ""
            _show(self.columns_card, False)
            _show(self.format_box, True)
            self.data_msg.show("error", str(exc), [FORMAT_HINT])
            return None
        _show(self.format_box, True)
        self._show_format(fmt)
        return frame

    def _set_frame(self, frame: pd.DataFrame, name: str, source_html: str) -> None:
        if len(frame) == 0:
            raise wb.EmptyDataError(
                f"The file {name!r} has a header ({', '.join(map(str, frame.columns[:8]))}) but "
                "no rows. Expected one row per example with its label and prediction."
            )
        if frame.shape[1] < 2:
            raise wb.DataError(
                f"The file {name!r} has a single column ({', '.join(map(str, frame.columns))}). "
                "Expected at least a label and a prediction column. If the columns are "
                "separated by another character, save the file as a comma-separated CSV."
            )
        self._reset_after_data()
        self.frame = frame.reset_index(drop=True)
        self.media_root = None
        self.data_name = name
        facts = (
            f"{source_html}: <b>{len(frame):,}</b> rows × <b>{frame.shape[1]}</b> columns. "
            "The first rows:"
        )
        self.preview.value = style.preview_html(frame, facts)
        self.data_msg.clear()
        guess = guess_columns(frame)
        self._fill_roles(
            guess.label,
            guess.prediction,
            guess.score,
            {*guess.other_outputs, *guess.identifiers},
        )
        self.guess_notes.value = style.guess_html(guess.reasons)
        _show(self.columns_card, True)

    def _reset_after_data(self) -> None:
        self._close_bench()
        self.findings = None
        self.explorer = None
        self.explorer_box.children = []
        self.exported = {}
        self.downloads.value = ""
        for message in (self.columns_msg, self.scan_msg, self.export_msg):
            message.clear()
        self.drop_button.layout.display = "none"
        _show(self.scan_controls, True)
        _show(self.scan_card, False)
        self._show_results(False)

    def _close_bench(self) -> None:
        if self.bench is not None:
            try:
                self.bench.close()
            except Exception:  # closing a store that is already gone is fine
                log.debug("closing the previous store failed", exc_info=True)
            self.bench = None

    # -- 2. columns --------------------------------------------------------------------------
    def _fill_roles(
        self,
        label: str | None,
        prediction: str | None,
        score: str | None,
        unticked: set[str] | None = None,
    ) -> None:
        assert self.frame is not None
        columns = [str(c) for c in self.frame.columns]
        self._updating = True
        try:
            self.label_choice.options = columns
            self.prediction_choice.options = columns
            self.score_choice.options = [NO_SCORE, *columns]
            self.label_choice.value = label if label in columns else columns[0]
            self.prediction_choice.value = (
                prediction if prediction in columns else columns[min(1, len(columns) - 1)]
            )
            self.score_choice.value = score if score in columns else NO_SCORE
            self.metric_choice.value = "auto"
        finally:
            self._updating = False
        self._rebuild_features(unticked or set())

    def _rebuild_features(self, unticked: set[str]) -> None:
        assert self.frame is not None
        roles = {self.label_choice.value, self.prediction_choice.value, self.score_choice.value}
        previous = {name: box.value for name, box in self.feature_boxes.items()}
        boxes = {}
        for column in map(str, self.frame.columns):
            if column in roles:
                continue
            ticked = previous.get(column, column not in unticked)
            box = w.Checkbox(
                value=ticked,
                description=column,
                indent=False,
                tooltip=column,
                layout=w.Layout(width="auto"),
            )
            boxes[column] = box
        self.feature_boxes = boxes
        self.features_grid.children = list(boxes.values())

    def _on_roles(self, _change: dict[str, Any]) -> None:
        if self._updating or self.frame is None:
            return
        self._rebuild_features(set())
        self.drop_button.layout.display = "none"
        self.columns_msg.clear()

    def _tick_all(self, value: bool) -> None:
        for box in self.feature_boxes.values():
            box.value = value

    @property
    def selected_features(self) -> list[str]:
        """The features ticked for the search, in table order."""
        return [name for name, box in self.feature_boxes.items() if box.value]

    def choose_columns(
        self,
        *,
        label: str | None = None,
        prediction: str | None = None,
        score: str | None = None,
        features: Sequence[str] | None = None,
        metric: str | None = None,
    ) -> None:
        """Set the column choices as the dropdowns and checkboxes would."""
        if self.frame is None:
            raise wb.DataError("Load data first (a sample or an uploaded file).")
        columns = [str(c) for c in self.frame.columns]
        for role, name in (("label", label), ("prediction", prediction), ("score", score)):
            if name is not None and name not in columns:
                raise wb.ColumnNotFoundError.for_column(role, name, columns)
        self._updating = True
        try:
            if label is not None:
                self.label_choice.value = label
            if prediction is not None:
                self.prediction_choice.value = prediction
            self.score_choice.value = score if score is not None else NO_SCORE
            if metric is not None:
                self.metric_choice.value = metric
        finally:
            self._updating = False
        unticked = set() if features is None else set(columns) - set(features)
        if features is None:
            guess = guess_columns(self.frame)
            unticked = {*guess.other_outputs, *guess.identifiers}
        self.feature_boxes = {}
        self._rebuild_features(unticked)

    def prepare(self, *, drop_missing: bool = False) -> wb.Workbench | None:
        """Build the workbench from the chosen columns (the "Prepare data" button).

        Rows without a label or prediction stop this step with a message and a
        button to drop them (``drop_missing=True``).
        """
        self.prepare_button.disabled = True
        try:
            return self._guard(self.columns_msg, self._prepare, drop_missing)
        finally:
            self.prepare_button.disabled = False

    def _prepare(self, drop_missing: bool) -> wb.Workbench | None:
        if self.frame is None:
            raise wb.DataError("Load data first (a sample or an uploaded file).")
        frame = self.frame
        label = str(self.label_choice.value)
        prediction = str(self.prediction_choice.value)
        score = None if self.score_choice.value == NO_SCORE else str(self.score_choice.value)
        metric = None if self.metric_choice.value == "auto" else str(self.metric_choice.value)
        features = self.selected_features
        self.drop_button.layout.display = "none"
        if label == prediction:
            raise wb.ParameterError(
                f"The label and the prediction are the same column ({label!r}). Pick the "
                "column with the true outcome as label and the model's output as prediction."
            )
        if score is not None and score in (label, prediction):
            raise wb.ParameterError(
                f"The score column {score!r} is also the label or prediction. Pick a column of "
                "predicted probabilities, or (none)."
            )
        _check_roles(frame, label, prediction)
        if not features:
            raise wb.ParameterError(
                "No features are ticked. Tick the columns the search may combine into slices "
                "(for example age, sex, region)."
            )
        n_label, n_pred, n_missing = missing_counts(frame, label, prediction)
        if n_missing == len(frame):
            raise wb.LabelError(
                f"Every row misses its label ({label!r}) or prediction ({prediction!r}), so "
                "no error can be computed. Check that you picked the right columns."
            )
        if n_missing and not drop_missing:
            self.columns_msg.show(
                "warning",
                f"{n_missing:,} of {len(frame):,} rows have no label or no prediction, so their "
                "error cannot be computed.",
                [
                    f"{n_label:,} rows miss the label {label!r}; {n_pred:,} miss the prediction "
                    f"{prediction!r}.",
                    "Fix the file and upload it again, or drop those rows and continue.",
                ],
            )
            self.drop_button.description = f"Drop {n_missing:,} rows and continue"
            self.drop_button.layout.display = None
            return None
        self._reset_after_data()
        self.columns_msg.show("info", "Preparing the data: computing errors and binning features…")
        self.workdir.mkdir(parents=True, exist_ok=True)
        store = next_store(self.workdir)
        started = time.perf_counter()
        try:
            bench = self._build_bench(
                frame, label, prediction, score, features, metric, store, drop_missing
            )
        except wb.LabelError as exc:
            raise wb.LabelError(
                f"{exc} {MENU_HINT.format(label=label, prediction=prediction)}"
            ) from None
        self.bench = bench
        self._save_manifest()
        _show(self.scan_card, self._summarise(bench, time.perf_counter() - started))
        return bench

    def _on_plain(self, change: dict[str, Any]) -> None:
        if self.explorer is not None:
            self.explorer.plain_language = bool(change["new"])

    # -- sessions: work kept across reloads --------------------------------------------------
    def _on_session_key(self, change: dict[str, Any]) -> None:
        if not self.session.valid:
            return
        self._guard(self.data_msg, self.use_session, change["new"])

    def use_session(self, key: str) -> bool:
        """Keep this page's work under ``sessions_dir/key`` and resume what is saved there.

        Called when the browser sends its session key. Returns True when earlier work
        (a store with its scans, flags and notes) was reopened.
        """
        folder = self.sessions_dir / key
        saved = read_manifest(folder)
        self.workdir = folder
        if self.bench is not None:
            # Work done before the key arrived moves along: only the folder changes.
            self._show_saved_line()
            return False
        if saved is None:
            self._show_saved_line()
            return False
        bench = open_saved(saved["store"])
        self._reset_after_data()
        self.bench = bench
        self.data_name = str(saved.get("data_name") or "")
        media = saved.get("media_root")
        self.media_root = Path(media) if media else None
        self._save_manifest()
        scans = bench.scans()
        n_flagged = 0
        if len(scans):
            findings = bench.findings()
            self.findings = findings
            self.explorer = bench.explore(
                findings.scan_id,
                media_root=self.media_root,
                plain_language=self.plain_toggle.value,
            )
            self.explorer_box.children = [self.explorer]
            _show(self.scan_controls, False)
            self._show_results(True)
            n_flagged = len(bench.flagged())
        _show(self.scan_card, True)
        self.data_msg.show(
            "success",
            f"Welcome back: your earlier work on {self.data_name or 'your data'} is open again "
            f"({bench.n_rows:,} rows, {len(scans)} scan{'s' if len(scans) != 1 else ''}, "
            f"{n_flagged} flagged slice{'s' if n_flagged != 1 else ''}).",
            ["Load other data above to start a new audit; this one stays saved."],
        )
        self._show_saved_line(resumed_at=str(saved.get("saved_at", "")))
        return True

    def _save_manifest(self) -> None:
        if self.bench is None:
            return
        store = Path(str(self.bench.path))
        if store.parent.resolve() != self.workdir.resolve():
            return  # made before the session key arrived: kept where it is
        write_manifest(
            self.workdir,
            store=store.name,
            data_name=self.data_name,
            media_root=str(self.media_root) if self.media_root else None,
        )
        self._show_saved_line()

    def _show_saved_line(self, resumed_at: str = "") -> None:
        since = f" (since {resumed_at})" if resumed_at else ""
        self.saved_line.value = style.saved_html(_home_relative(self.workdir), since)

    def _build_bench(
        self,
        frame: pd.DataFrame,
        label: str,
        prediction: str,
        score: str | None,
        features: list[str],
        metric: str | None,
        store: Path,
        drop_missing: bool,
    ) -> wb.Workbench:
        return wb.Workbench.from_predictions(
            frame,
            label=label,
            prediction=prediction,
            score=score,
            features=features,
            metric=metric,
            path=store,
            name=Path(self.data_name).stem or "data",
            missing="drop" if drop_missing else "error",
        )

    def _summarise(self, bench: wb.Workbench, seconds: float) -> bool:
        """Say what was prepared; False when nothing can be searched."""
        feats = bench.features
        searched = feats[feats["kind"] != "skipped"]
        details = [_user_note(note) for note in bench.notes]
        for row in feats.itertuples():
            if row.kind == "skipped":
                details.append(f"Column {row.feature!r} is left out of the search: {row.note}.")
            elif "capped" in str(row.note):
                details.append(f"Column {row.feature!r} ({row.note}).")
        lead = (
            f"Ready: {bench.n_rows:,} rows, metric {bench.metric}, overall error "
            f"{bench.overall_error:.4g}; {len(searched)} features to search "
            f"(prepared in {seconds:.1f} s)."
        )
        if len(searched) == 0:
            self.columns_msg.show(
                "error",
                "None of the ticked columns can define a group, so there is nothing to search.",
                [*details, "Tick other columns (categories, or numbers that can be binned)."],
            )
            return False
        self.columns_msg.show("success", lead, details)
        return True

    # -- 3. scan -----------------------------------------------------------------------------
    def run_scan(self, *, wait: bool = False) -> threading.Thread | None:
        """Search for failing slices in a background thread, then open the explorer.

        ``wait=True`` blocks until the scan is done (for scripts and tests).
        """
        bench = self.bench
        if bench is None:
            self.scan_msg.show("error", "Prepare the data first (step 2).")
            return None
        params = self.scan_inputs.parameters()
        if not self.scan_inputs.running:
            self.scan_msg.clear()

        def done(findings: wb.Findings, seconds: float) -> str:
            self._guard(self.scan_msg, self._scan, bench, findings, params, seconds)
            return ""

        def failed(exc: Exception) -> None:
            self._guard(self.scan_msg, _raise, exc)

        return self.scan_inputs.run(
            lambda progress: bench.scan(progress=progress, **params),
            done=done,
            failed=failed,
            busy=self._busy,
            wait=wait,
            name="workbench-app-scan",
        )

    def _busy(self, busy: bool) -> None:
        for control in (self.prepare_button, self.sample_button, self.upload, self.export_button):
            control.disabled = busy

    def _scan(
        self, bench: wb.Workbench, findings: wb.Findings, params: dict[str, Any], seconds: float
    ) -> None:
        self.findings = findings
        if not len(findings):
            # the scan's own notes say why (too few rows, too few errors, ...)
            self.scan_msg.show(
                "warning",
                f"No slice has at least the minimum support ({params['min_support']}) "
                "and an error above the overall error.",
                [
                    *findings.notes,
                    "Lower the min support, allow more conditions, choose the “excess” "
                    "ranking, or tick more features.",
                ],
            )
            return
        explorer = bench.explore(
            findings.scan_id,
            media_root=self.media_root,
            plain_language=self.plain_toggle.value,
        )
        self.explorer = explorer
        self.explorer_box.children = [explorer]
        # From here on the explorer's own scan controls run new scans (and keep the list).
        _show(self.scan_controls, False)
        n_sig = sum(bool(s.significant) for s in findings)
        self.scan_msg.show(
            "success",
            f"{len(findings)} slices found in {seconds:.1f} s; {n_sig} with an error "
            "significantly above the rest (after correcting for every slice tried).",
            [
                "Click a slice in the table to see its details, then flag the ones to report "
                "(add a note saying why) and export them in step 4.",
                "To scan again with other settings, use “Run scan” in the explorer.",
            ],
        )
        self._show_results(True)

    def _show_results(self, visible: bool) -> None:
        """Show (or hide) the steps that work on a scan: export and the bias bounty."""
        _show(self.export_card, visible)
        _show(self.bounty_card, visible)
        if visible:
            self.bounty.refresh()

    # -- 4. export ---------------------------------------------------------------------------
    def export(self) -> dict[str, Path] | None:
        """Write the flagged slices to CSV and one claim JSON per flagged slice.

        The files are saved in ``workdir/exports`` and offered as browser downloads.
        Returns ``{"csv": path, "<slice_id>": claim path, ...}``, or None (with a message)
        when nothing is flagged.
        """
        return self._guard(self.export_msg, self._export)

    def _export(self) -> dict[str, Path] | None:
        bench = self.bench
        scan_id = self._shown_scan_id()
        if bench is None or scan_id is None:
            self.export_msg.show("warning", "Run a scan first (step 3).")
            return None
        flagged = bench.flagged(scan_id)
        self.downloads.value = ""
        if not len(flagged):
            self.export_msg.show(
                "warning",
                f"No slice of {scan_id} is flagged yet.",
                [
                    "In the explorer above, click a slice, type a note saying why it matters, "
                    "and press “Flag slice”. Then export again."
                ],
            )
            return None
        folder = self.workdir / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / f"{scan_id}-flagged-slices.csv"
        flagged.to_csv(csv_path)
        exported: dict[str, Path] = {"csv": csv_path}
        links = [
            style.download_link_html(
                csv_path.read_bytes(),
                csv_path.name,
                mime="text/csv",
                label=f"Flagged slices (CSV, {len(flagged)} row{'s' if len(flagged) != 1 else ''})",
                css_class="wb-app-download",
            )
        ]
        for s in flagged:
            # The one claim writer (strict JSON: no NaN), as ``workbench export`` uses.
            path = bench.export_claim(s, folder / f"{s.slice_id}-claim.json", note=s.flag_note)
            exported[s.slice_id] = path
            links.append(
                style.download_link_html(
                    path.read_bytes(),
                    path.name,
                    mime="application/json",
                    label=f"Claim {s.slice_id} (JSON)",
                    css_class="wb-app-download",
                )
            )
        self.exported = exported
        first = next(p for k, p in exported.items() if k != "csv")
        data_name = self.data_name or "DATA.csv"
        self.downloads.value = (
            '<div class="wb-app">'
            + "".join(links)
            + '<p class="wb-app-hint">Each claim file holds the slice\'s definition (as SQL), its '
            "statistics, the scan's parameters and fingerprints of the data and the "
            "predictions. Anyone can re-check it on the same data (or new data with the same "
            "columns) with:</p>"
            f'<pre data-testid="verify-command">pip install slice-workbench\n'
            # Quoted for a POSIX shell: file names come from the user and may hold anything.
            f"workbench verify {style.esc(shlex.quote(first.name))} "
            f"--data {style.esc(shlex.quote(data_name))}</pre></div>"
        )
        self.export_msg.show(
            "success",
            f"Exported {len(flagged)} flagged slice{'s' if len(flagged) != 1 else ''}: a CSV "
            f"and {len(flagged)} claim file{'s' if len(flagged) != 1 else ''}.",
            [f"Also saved in {folder}."],
        )
        return exported

    def _shown_scan_id(self) -> str | None:
        if self.explorer is not None and self.explorer.findings.scan_id:
            return str(self.explorer.findings.scan_id)
        return self.findings.scan_id if self.findings is not None else None


def _raise(exc: Exception) -> None:
    """Re-raise ``exc`` inside ``AuditApp._guard``, which words it for the app."""
    raise exc


def _check_roles(frame: pd.DataFrame, label: str, prediction: str) -> None:
    """Refuse a label or prediction that cannot be one (an ID), pointing at the menus."""
    n = len(frame)
    for role, column in (("label", label), ("prediction", prediction)):
        series = frame[column]
        if (
            n >= 20
            and not pd.api.types.is_float_dtype(series)
            and series.nunique(dropna=False) == n
            and not guess_is_text(series)
        ):
            raise wb.ParameterError(
                f"The {role} column {column!r} has a different value in every row, like an "
                f"ID, so it cannot be the {'true outcome' if role == 'label' else 'model’s output'}. "
                + MENU_HINT.format(label=label, prediction=prediction)
            )


def _home_relative(path: Path) -> str:
    """``path`` written from ``~`` when it is inside the home folder (a shorter line).

    Examples
    --------
    >>> _home_relative(Path.home() / ".cache" / "x")
    '~/.cache/x'
    >>> _home_relative(Path("/srv/app/x"))
    '/srv/app/x'
    """
    try:
        return "~/" + Path(path).relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)
