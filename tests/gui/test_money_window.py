"""Money in the window (issue 20), against the loopback FAL fake through the real fal-client:
a submit whose answer was cut waits for the person's word, spent shows beside estimated,
prices say where they come from, and Settings shows the balance and the photos' lifetime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtTest import QTest
from testkit import make_photo, open_test_runtime, until

from image2model_desktop.core.engine import Engine
from image2model_desktop.core.models import EngineName
from image2model_desktop.core.states import FileState
from image2model_desktop.engines import create_engine
from image2model_desktop.engines.fal.engine import FalEngine
from image2model_desktop.gui.qt import QMessageBox, Qt
from image2model_desktop.gui.shell.header import Phase
from image2model_desktop.gui.upload.model_choice import MODEL_ROLE
from image2model_desktop.runtime import Runtime
from tests.fakefal import TRIPO_ENDPOINT, FakeFal

pytestmark = pytest.mark.fal_fake(generation_seconds=0.4)


def fal_runtime(root: Path, fake: FakeFal) -> Runtime:
    """The app's wiring on ``root`` with the real FAL engine aimed at the fake."""

    def engines(name: EngineName) -> Engine:
        if name == "fal":
            return FalEngine(key=fake.key, data_dir=root)
        return create_engine(name, data_dir=root)

    return open_test_runtime(root, engines, hold_on_balance=False)


def pick(upload: Any, model: str) -> None:
    combo = upload.parameters.engine
    for index in range(combo.count()):
        if combo.itemData(index, MODEL_ROLE) == model:
            combo.setCurrentIndex(index)
            return
    raise AssertionError(f"{model} is not in the picker")


def click(widget: Any) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_a_cut_answer_waits_for_the_persons_word_and_send_again_sends_once_more(
    open_window, run, fake: FakeFal, data_dir: Path, tmp_path: Path
) -> None:
    window = open_window(runtime=fal_runtime(data_dir, fake), with_3d=False).window
    upload = window.upload
    pick(upload, "tripo-v2.5")
    run(upload.add_paths([make_photo(tmp_path / "cup_submitcut.png", 96)]))
    run(until(upload.generate_button.isEnabled, timeout=10, what="Generate enabled"))
    click(upload.generate_button)
    run(until(lambda: window.current_job_id, timeout=10, what="the batch"))
    job = run(window.service.wait_finished(window.current_job_id))
    assert job.files[0].state == FileState.UNCONFIRMED
    # Sent once, and nothing sends it again on its own.
    assert len(fake.submits()) == 1 and fake.submits()[0].answer_cut
    assert window.header.phase == Phase.PROCESSING
    (row,) = window.processing.rows()
    assert row.state.text() == "Sent, no answer"
    sentence = row.message.text()
    assert "FAL may have received it" in sentence and "about $0.30" in sentence
    assert row.money.text() == "estimated $0.30"
    assert row.retry_button.isHidden() and not row.resend_button.isHidden()
    assert window.processing.retry_failed_button.isHidden()
    # The whole sentence is on screen: the row grows (at the list's next layout) to hold it.
    run(
        until(
            lambda: row.message.height() >= row.message.heightForWidth(row.message.width()) > 30,
            timeout=5,
            what="the row to fit its wrapped sentence",
        )
    )

    # Asked first; Cancel sends nothing.
    click(row.resend_button)
    question = window.processing.resend_question
    assert isinstance(question, QMessageBox) and question.isVisible()
    assert "pay twice (about $0.30 more)" in question.informativeText()
    click(question.button(QMessageBox.StandardButton.Cancel))
    run(until(lambda: window.processing.resend_question is None, timeout=5, what="closed"))
    assert len(fake.submits()) == 1

    click(row.resend_button)
    question = window.processing.resend_question
    (send,) = [b for b in question.buttons() if b.text() == "Send again"]
    click(send)
    run(until(lambda: len(fake.submits()) == 2, timeout=20, what="the second submit"))
    run(until(lambda: row.state.text() == "Done", timeout=30, what="the model"))
    assert not fake.submits()[1].answer_cut
    # FAL bills it; what it billed arrives after the fact, beside the estimate.
    run(until(lambda: "spent" in row.money.text(), timeout=30, what="what FAL billed"))
    second = fake.submits()[1].request_id
    billed = sum(e.usd for e in fake.billing_events() if e.request_id == second)
    assert row.money.text() == f"spent ${billed:.2f} · estimated $0.30"
    entry = window.library.item(0).text()
    assert f"spent ${billed:.2f} · estimated $0.30" in entry, entry


def test_waiting_rows_show_their_place_in_line(
    open_window, run, fake: FakeFal, data_dir: Path, tmp_path: Path
) -> None:
    runtime = fal_runtime(data_dir, fake)
    runtime.service.set_concurrency(1)
    fake.generation_seconds = 3.0
    window = open_window(runtime=runtime, with_3d=False).window
    upload = window.upload
    pick(upload, "tripo-v2.5")
    run(upload.add_paths([make_photo(tmp_path / f"p{i}.png", 64) for i in range(4)]))
    run(until(upload.generate_button.isEnabled, timeout=10, what="Generate enabled"))
    click(upload.generate_button)
    run(until(lambda: window.current_job_id, timeout=10, what="the batch"))
    processing = window.processing

    def places() -> list[str]:
        return [r.queue.text() for r in processing.rows() if not r.queue.isHidden()]

    run(
        until(
            lambda: places()[-2:] == ["next in line", "2nd in line"],
            timeout=20,
            what=f"two waiting rows with their places ({places()})",
        )
    )
    window.service.cancel_job(window.current_job_id)
    run(window.service.wait_finished(window.current_job_id))
    assert places() == []


def test_spent_and_estimated_prices_with_their_source(
    open_window, run, fake: FakeFal, data_dir: Path
) -> None:
    fake.set_price(TRIPO_ENDPOINT, 0.012, "credits")
    window = open_window(runtime=fal_runtime(data_dir, fake), with_3d=False).window
    upload = window.upload
    run(until(lambda: fake.log("pricing"), timeout=10, what="FAL's prices asked for"))
    run(
        until(
            lambda: "(price: FAL, today)" in upload.cost_label.text(),
            timeout=10,
            what=f"the cost label's source ({upload.cost_label.text()})",
        )
    )
    pick(upload, "tripo-v2.5")
    combo = upload.parameters.engine
    lines = {combo.itemData(i, MODEL_ROLE): combo.itemText(i) for i in range(combo.count())}
    # FAL's $0.012 a credit: 30 credits for a standard texture.
    assert "~$0.36/model (FAL, today)" in lines["tripo-v2.5"], lines["tripo-v2.5"]
    assert "price unknown" in lines["hunyuan3d-v3"]
    assert len(fake.log("pricing")) == 1


def test_settings_show_the_balance_and_set_how_long_fal_keeps_the_photos(
    open_window, run, fake: FakeFal, data_dir: Path, tmp_path: Path
) -> None:
    from image2model_desktop.core.settings import Settings
    from image2model_desktop.gui.settings.dialog import SettingsDialog

    fake.balance_usd = 12.5
    window = open_window(runtime=fal_runtime(data_dir, fake), with_3d=False).window

    def settings_dialog() -> SettingsDialog:
        dialog = SettingsDialog(
            window.runtime.settings,
            data_dir,
            "k",
            "Off.",
            False,
            window,
            balance=window.service.account_balance,
        )
        dialog.show()
        return dialog

    dialog = settings_dialog()
    # Asked in the background: the dialog is up before FAL answers.
    assert dialog.balance.text() == "Asking FAL…"
    run(until(lambda: "$" in dialog.balance.text(), timeout=10, what="the balance"))
    assert dialog.balance.text() == "$12.50 left on the FAL account"
    assert dialog.retention.currentText() == "1 day"
    dialog.retention.setCurrentIndex(dialog.retention.findData("1h"))
    window.save_settings(dialog.result_settings())
    dialog.close()
    dialog.deleteLater()
    assert Settings.load(data_dir / "settings.json").defaults.fal_retention == "1h"

    # A key that may not read billing: the dialog says why, in a sentence.
    fake.billing_access = False
    refused = settings_dialog()
    run(until(lambda: "admin key" in refused.balance.text(), timeout=10, what="why not"))
    assert refused.retention.currentText() == "1 hour"
    refused.close()
    refused.deleteLater()

    # The window's next batch uploads with that lifetime.
    upload = window.upload
    pick(upload, "tripo-v2.5")
    run(upload.add_paths([make_photo(tmp_path / "mug.png", 64)]))
    run(until(upload.generate_button.isEnabled, timeout=10, what="Generate enabled"))
    click(upload.generate_button)
    run(until(lambda: fake.upload_lifecycles(), timeout=20, what="the upload"))
    assert fake.upload_lifecycles() == [("mug.png", {"expiration_duration_seconds": 3600})]
    run(window.service.wait_finished(window.current_job_id))


def test_pbr_is_greyed_while_a_model_that_needs_a_texture_has_none(
    open_window, fake: FakeFal, data_dir: Path
) -> None:
    from image2model_desktop.gui.settings.dialog import SettingsDialog

    window = open_window(runtime=fal_runtime(data_dir, fake), with_3d=False).window
    dialog = SettingsDialog(window.runtime.settings, data_dir, "k", "Off.", False, window)
    for panel in (window.upload.parameters, dialog.defaults):
        pick_in = panel.engine
        pick_in.setCurrentIndex(
            next(
                i for i in range(pick_in.count()) if pick_in.itemData(i, MODEL_ROLE) == "tripo-v2.5"
            )
        )
        panel.pbr.setChecked(True)
        panel.texture.setCurrentIndex(panel.texture.findData("no"))
        assert not panel.pbr.isEnabled() and "need a texture" in panel.pbr.toolTip()
        assert panel.parameters().pbr is False
        panel.texture.setCurrentIndex(panel.texture.findData("standard"))
        assert panel.pbr.isEnabled() and panel.parameters().pbr is True
    dialog.deleteLater()
