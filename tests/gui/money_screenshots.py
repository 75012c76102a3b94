"""Screenshots of the window's money (issue 20) against the loopback FAL fake (not a test).

    xvfb-run -a -s "-screen 0 1700x1100x24" python tests/gui/money_screenshots.py OUT

At 1024×700 and 1600×1000: the processing page with a photo sent without an
answer (FAL's fake cuts the submit's answer) beside finished ones showing what
FAL billed next to the estimate, the library beside it, the upload page with
prices and their source, and Settings with the photos' lifetime and the balance.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit, as bench/ does
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.fakefal
from testkit import make_photo, open_test_runtime, until

from tests.fakefal import TRIPO_ENDPOINT, FakeFal

SIZES = ((1024, 700), (1600, 1000))


async def settle() -> None:
    from image2model_desktop.gui.qt import QApplication

    await asyncio.sleep(0.5)
    QApplication.processEvents()


def save(widget, out: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    picture = widget.screen().grabWindow(widget.winId())
    picture.save(str(out / name))
    print(out / name)


async def shoot(window, fake: FakeFal, out: Path, photos: Path) -> None:  # type: ignore[no-untyped-def]
    from image2model_desktop.gui.app import wait_exposed
    from image2model_desktop.gui.settings.dialog import SettingsDialog
    from image2model_desktop.gui.upload.model_choice import MODEL_ROLE

    await wait_exposed(window)
    await window.start([])
    upload = window.upload
    combo = upload.parameters.engine
    combo.setCurrentIndex(
        next(i for i in range(combo.count()) if combo.itemData(i, MODEL_ROLE) == "tripo-v2.5")
    )
    await until(lambda: fake.log("pricing"), timeout=10, what="FAL's prices")
    names = ["cup_submitcut.png", "chair.png", "lamp.png", "a long-named teapot photo.png"]
    await upload.add_paths([make_photo(photos / n, 96) for n in names])
    await until(upload.generate_button.isEnabled, timeout=10, what="Generate")
    for width, height in SIZES:
        window.resize(width, height)
        await settle()
        save(window, out, f"upload-{width}x{height}.png")
    upload.generate_button.click()
    await until(lambda: window.current_job_id, timeout=10, what="the batch")
    job_id = window.current_job_id
    await window.service.wait_finished(job_id)
    window.open_processing(job_id)

    def billed() -> bool:
        job = window.service.get_job(job_id)
        return all(f.spent_usd is not None for f in job.files if f.request_id)

    await until(billed, timeout=30, what="what FAL billed")
    for width, height in SIZES:
        window.resize(width, height)
        await settle()
        save(window, out, f"processing-unconfirmed-{width}x{height}.png")

    dialog = SettingsDialog(
        window.runtime.settings,
        window.runtime.paths.root,
        "k",
        "Off.",
        True,
        window,
        balance=window.service.account_balance,
    )
    dialog.show()
    await until(lambda: "$" in dialog.balance.text(), timeout=10, what="the balance")
    for width, height in SIZES:
        window.resize(width, height)
        await settle()
        save(dialog, out, f"settings-over-{width}x{height}.png")
    print("settings dialog", dialog.width(), "x", dialog.height())
    dialog.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    from image2model_desktop.core.engine import Engine
    from image2model_desktop.engines import create_engine
    from image2model_desktop.engines.fal.engine import FalEngine
    from image2model_desktop.gui.app import Session, app_icon, close_session, make_application
    from image2model_desktop.gui.qtloop import QtEventLoop
    from image2model_desktop.gui.shell.window import MainWindow

    with (
        FakeFal(generation_seconds=0.5) as fake,
        fake.patch_fal_client(max_attempts=2),
        tempfile.TemporaryDirectory() as root,
        tempfile.TemporaryDirectory() as photos,
    ):
        fake.set_price(TRIPO_ENDPOINT, 0.011, "credits")
        data = Path(root)

        def engines(name):  # type: ignore[no-untyped-def]
            if name == "fal":
                return FalEngine(key=fake.key, data_dir=data)
            engine: Engine = create_engine(name, data_dir=data)
            return engine

        app = make_application()
        loop = QtEventLoop(app)
        asyncio.set_event_loop(loop)
        runtime = open_test_runtime(data, engines, hold_on_balance=False)
        window = MainWindow(runtime, app_icon())
        window.show()
        session = Session(app, loop, window, runtime)

        async def run() -> None:
            try:
                await shoot(window, fake, out, Path(photos))
            finally:
                await close_session(session)

        loop.run_until_complete(run())
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
