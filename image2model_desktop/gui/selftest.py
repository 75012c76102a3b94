"""``image2model --self-test``: prove the whole app works on this machine, then exit.

Runs a bundled sample photo through the offline engine in a temporary library
(the user's library is never touched), waits for the textured model in the 3D
preview, checks that it drew real pixels, and saves a picture of the window.
Any failure, or the hard timeout, gives a non-zero exit code and one sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from image2model_desktop.core.errors import SelfTestFailure
from image2model_desktop.resources import sample_photos

SELF_TEST_TIMEOUT = 180.0
#: Share of the preview's pixels that must differ from the background.
MIN_MODEL_PIXELS = 0.01
EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT = 0, 1, 3


async def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it is truthy; raise SelfTestFailure naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise SelfTestFailure(f"timed out waiting for {what}")


def model_pixel_share(pixels: Any) -> float:
    """Share of pixels that are not the (vertical gradient) background."""
    import numpy as np

    image = np.asarray(pixels)[..., :3].astype(int)
    # Each row's background is its left-most pixel; the model sits in the middle.
    background = image[:, :1, :]
    differs = np.abs(image - background).sum(axis=2) > 30
    return float(differs.mean())


async def run_self_test(window: Any, screenshot: Path | None) -> int:
    watchdog = _start_watchdog(SELF_TEST_TIMEOUT + 60)
    try:
        async with asyncio.timeout(SELF_TEST_TIMEOUT):
            summary = await _steps(window, screenshot)
    except TimeoutError:
        print(f"Self-test failed: no result within {SELF_TEST_TIMEOUT:.0f} s.", file=sys.stderr)
        return EXIT_TIMEOUT
    except SelfTestFailure as failure:
        print(f"Self-test failed: {failure}.", file=sys.stderr)
        return EXIT_FAILED
    finally:
        watchdog.set()
    print(f"Self-test passed: {summary}")
    return EXIT_OK


async def _steps(window: Any, screenshot: Path | None) -> str:
    photos = sample_photos()
    if not photos:
        raise SelfTestFailure("no sample photo is bundled (resources/samples is empty)")
    photo = next((p for p in photos if p.stem == "mug"), photos[0])
    upload = window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    upload.parameters.face_limit.set_value(10_000)
    await upload.add_paths([photo])
    refused = [p.reason for p in upload.tray.photos if p.reason]
    if refused:
        raise SelfTestFailure(f"the sample photo was refused: {refused[0]}")
    if not upload.generate_button.isEnabled():
        raise SelfTestFailure("the Generate button stayed disabled with a valid photo")
    upload.generate_button.click()
    job_id = await wait_for(lambda: window.current_job_id, 30, "the batch to start")
    job = await window.service.wait_finished(job_id)
    item = job.files[0]
    if item.output is None:
        raise SelfTestFailure(f"the offline engine failed: {item.error_message or item.state}")
    preview = window.results.preview
    await wait_for(lambda: preview.model is not None, 60, "the model in the 3D preview")
    interactor = type(getattr(preview.view, "plotter", None)).__name__
    if interactor != "QtInteractor" or "pyvista" not in sys.modules:
        raise SelfTestFailure(f"the 3D preview is not PyVista's QtInteractor ({interactor})")
    if not preview.model.textured:
        raise SelfTestFailure("the model was shown without its texture")
    share = model_pixel_share(preview.screenshot())
    if share < MIN_MODEL_PIXELS:
        raise SelfTestFailure(f"the 3D preview drew almost nothing ({share:.1%} of pixels)")
    grid = window.results.grid
    # The grid picture is a nicety: wait a little for it, but do not fail without it.
    with contextlib.suppress(SelfTestFailure):
        await wait_for(lambda: not grid.item(0).icon().isNull(), 30, "the grid picture")
    saved = ""
    if screenshot is not None:
        await asyncio.sleep(0.2)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(screenshot), "PNG"):
            raise SelfTestFailure(f"the screenshot could not be written to {screenshot}")
        saved = f"; window saved to {screenshot}"
    return (
        f"{photo.name} → {item.output.face_count:,} faces, textured, "
        f"PyVista QtInteractor drew {share:.0%} of its pixels{saved}"
    )


def _start_watchdog(seconds: float) -> threading.Event:
    """Kill the process if even the loop is stuck (asyncio's timeout needs a live loop)."""
    done = threading.Event()

    def watch() -> None:
        if not done.wait(seconds):
            print("Self-test failed: the window hung; exiting.", file=sys.stderr)
            os._exit(EXIT_TIMEOUT)

    threading.Thread(target=watch, name="self-test-watchdog", daemon=True).start()
    return done
