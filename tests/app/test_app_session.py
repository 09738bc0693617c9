"""The app keeps a session's work (scans, flags, notes) across page reloads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from workbench.app import AuditApp

KEY = "3f1c9a7e-5b2d-4e8f"


def test_flags_notes_and_scans_survive_a_reload(
    tmp_path: Path, upload: Callable[[AuditApp, bytes, str], None], linked: pd.DataFrame
) -> None:
    sessions = tmp_path / "sessions"
    first = AuditApp(workdir=tmp_path / "one", sessions_dir=sessions)
    first.session.set_state({"key": KEY})  # what the browser sends from its local storage
    assert str(sessions / KEY) in first.saved_line.value
    upload(first, linked.to_csv(index=False).encode(), "linked.csv")
    first.prepare_button.click()
    first.scan_depth.value = 2
    first.run_scan(wait=True)
    top = first.explorer.findings[0]
    first.explorer.select(top.slice_id)
    first.explorer.flag(note="kept across reloads")
    assert first.bench is not None and Path(first.bench.path).parent == sessions / KEY

    # The page is reloaded: a new kernel, a new app, the same browser key. (A store
    # still held by the old kernel is copied: see the test below.)
    first.bench.close()
    again = AuditApp(workdir=tmp_path / "two", sessions_dir=sessions)
    assert again.explorer is None
    again.session.set_state({"key": KEY})
    assert again.bench is not None and again.explorer is not None
    assert again.data_msg.level == "success" and "Welcome back" in again.data_msg.text
    assert "linked.csv" in again.data_msg.text and "1 flagged slice" in again.data_msg.text
    flagged = again.bench.flagged()
    assert [(s.slice_id, s.flag_note) for s in flagged] == [(top.slice_id, "kept across reloads")]
    assert again.explorer.table.get(top.slice_id).flagged  # type: ignore[union-attr]
    assert 'data-testid="saved-line"' in again.saved_line.value
    exported = again.export()
    assert exported is not None and top.slice_id in exported
    again.bench.close()

    # A third reload, with the stores free: the latest store opens directly.
    third = AuditApp(workdir=tmp_path / "three", sessions_dir=sessions)
    third.session.set_state({"key": KEY})
    assert third.bench is not None and len(third.bench.flagged()) == 1
    third.bench.close()


def test_a_new_browser_starts_empty_and_bad_keys_are_ignored(tmp_path: Path) -> None:
    app = AuditApp(workdir=tmp_path / "app", sessions_dir=tmp_path / "sessions")
    app.session.set_state({"key": "../../etc"})
    assert app.workdir == tmp_path / "app" and app.saved_line.value == ""
    app.session.set_state({"key": "a-brand-new-browser"})
    assert app.bench is None and app.workdir == tmp_path / "sessions" / "a-brand-new-browser"
    assert "saved in" in app.saved_line.value


def test_a_store_held_by_the_previous_kernel_is_copied(tmp_path: Path) -> None:
    import subprocess
    import sys

    import workbench as wb
    from workbench.app._session import open_saved

    store = tmp_path / "audit1.duckdb"
    frame = pd.DataFrame({"f": ["a", "a", "a", "b"] * 25, "y": [0, 1] * 50, "p": [0, 0] * 50})
    with wb.Workbench.from_predictions(frame, label="y", prediction="p", path=store) as bench:
        bench.scan(k=2, max_predicates=1, min_support=5)
        bench.flag(bench.findings()[0], note="held")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " time.sleep(60)",
            str(store),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        reopened = open_saved(store)
        assert Path(reopened.path).name == "audit2.duckdb"
        assert [s.flag_note for s in reopened.flagged()] == ["held"]
        reopened.close()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_plain_language_is_on_in_the_app_and_can_be_turned_off(
    app: AuditApp, upload: Callable[[AuditApp, bytes, str], None], linked: pd.DataFrame
) -> None:
    upload(app, linked.to_csv(index=False).encode(), "linked.csv")
    app.prepare_button.click()
    app.scan_depth.value = 2
    app.run_scan(wait=True)
    explorer = app.explorer
    explorer.select(explorer.findings[0].slice_id)
    text = explorer.metrics.value
    assert 'data-testid="plain-summary"' in text and "times</b> as many errors" in text
    assert "chance" in text and " % vs " in text and "likely between" in text
    app.plain_toggle.value = False
    assert "plain-summary" not in explorer.metrics.value
