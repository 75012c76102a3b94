"""Fixtures for the window's tests: a qasync loop, a private library, a window, fake engines.

Tests are plain functions that drive the loop with ``run(...)`` (qasync's own
style) and wait with ``testkit.until``. ``qtbot.waitSignal`` is never used inside a
coroutine: docs/architecture.md records that it corrupts the loop and hangs the run.
Every test that opens a window is checked for leaked VTK objects (``check_gc``).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import importlib
import os
import shutil
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

# Never the user's keyring: every test gets the "no keyring here" backend.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.pop("FAL_KEY", None)
# The window asks FAL's platform API for prices once a key is set: never the real one from a
# test (a test with a key of its own and no fake gets a refused connection, so the table).
os.environ["IMAGE2MODEL_FAL_API_URL"] = "https://127.0.0.1:9/v1"

from testkit import make_textured_sphere_glb

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
from image2model_desktop.core.models import EngineName
from image2model_desktop.core.paths import LibraryPaths
from image2model_desktop.core.service import JobService
from image2model_desktop.core.settings import Settings
from image2model_desktop.core.states import FileState
from image2model_desktop.core.store import Store
from image2model_desktop.engines import create_engine
from image2model_desktop.engines.stats import model_stats
from image2model_desktop.gui.qt import QApplication, QEvent
from image2model_desktop.resources import sample_photos
from image2model_desktop.runtime import Runtime, open_runtime

T = TypeVar("T")
TEST_TIMEOUT = 60.0


class GatedEngine(Engine):
    """An engine that waits for ``gate`` before writing a ready-made model: timing is ours."""

    name: EngineName = "offline"
    expected_seconds = 1.0

    def __init__(self, model: Path, *, real_size: bool = False, warning: str | None = None) -> None:
        self.model = model
        #: What the engine says of its models (``EngineOutput.real_size`` and ``warning``).
        self.real_size = real_size
        self.warning = warning
        self.gate = asyncio.Event()
        self.started: list[str] = []

    async def run(self, run: FileRun) -> EngineOutput:
        self.started.append(run.file.file_id)
        await run.update(FileState.GENERATING, message="Waiting for the test to open the gate")
        await self.gate.wait()
        out = run.output_path(".glb")
        shutil.copyfile(self.model, out)
        return EngineOutput(model_path=out, real_size=self.real_size, warning=self.warning)


def gated_runtime(root: Path, engine: GatedEngine) -> Runtime:
    """A runtime whose offline engine is ``engine``: a bare service, with no engine
    declarations (any seed is taken) and no model inspection (the gate sets the pace).
    """
    paths = LibraryPaths(root)
    root.mkdir(parents=True, exist_ok=True)
    settings = Settings.load(paths.settings_file)
    store = Store.open(paths.database, lock_path=paths.lock_file)

    def factory(name: EngineName) -> Engine:
        return engine if name == "offline" else create_engine(name, data_dir=root)

    return Runtime(
        paths,
        settings,
        store,
        JobService(store, paths, settings, factory, inspect_model=model_stats),
    )


@pytest.fixture(scope="session")
def loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    from image2model_desktop.gui.app import make_application
    from image2model_desktop.gui.background import shutdown_executor
    from image2model_desktop.gui.gc_guard import MainThreadCollector
    from image2model_desktop.gui.qtloop import QtEventLoop

    make_application()
    event_loop = QtEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    collector = MainThreadCollector()
    collector.start()
    yield event_loop
    collector.stop()
    from image2model_desktop.core.workers import shutdown_process_pool

    shutdown_process_pool()
    event_loop.close()
    shutdown_executor()


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """Run a coroutine on the qasync loop (Qt events flow meanwhile), with a timeout."""

    def runner(coro: Coroutine[Any, Any, T], timeout: float = TEST_TIMEOUT) -> T:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))

    return runner


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    monkeypatch.setenv("IMAGE2MODEL_DATA_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def model_glb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-face UV sphere with a checker texture (a model every test can afford)."""
    return make_textured_sphere_glb(tmp_path_factory.mktemp("models") / "sphere.glb")


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    """Copies of the bundled sample photos (tests may rename or damage them)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    found = sample_photos()
    assert found, "resources/samples holds no photos"
    return [Path(shutil.copy(p, folder / p.name)) for p in found]


@dataclass
class WindowHarness:
    window: Any
    runtime: Runtime
    engine: GatedEngine | None


@pytest.fixture
def open_window(
    loop: asyncio.AbstractEventLoop, qtbot: Any, data_dir: Path
) -> Iterator[Callable[..., WindowHarness]]:
    """Build windows on the test's library; each is closed (and its interactor) at teardown."""
    from image2model_desktop.gui.app import app_icon, wait_exposed
    from image2model_desktop.gui.shell.window import MainWindow

    made: list[WindowHarness] = []

    def factory(
        engine: GatedEngine | None = None,
        *,
        with_3d: bool = True,
        photos: list[Path] = (),
        runtime: Runtime | None = None,
    ) -> WindowHarness:
        """A window on the test's library (``runtime``: one the test wired, e.g. to fake FAL)."""
        if runtime is None:
            runtime = gated_runtime(data_dir, engine) if engine else open_runtime(data_dir)
        window = MainWindow(runtime, app_icon())
        window.show()
        harness = WindowHarness(window, runtime, engine)
        made.append(harness)

        async def start() -> None:
            await wait_exposed(window)
            await window.start(list(photos))
            if with_3d:
                from image2model_desktop.gui.app import load_3d_stack

                await load_3d_stack(window)

        loop.run_until_complete(asyncio.wait_for(start(), TEST_TIMEOUT))
        return harness

    yield factory
    for harness in made:
        close_window(loop, harness)
    gc.collect()


def close_window(loop: asyncio.AbstractEventLoop, harness: WindowHarness) -> None:
    from image2model_desktop.gui.app import Session, close_session

    if getattr(harness, "closed", False):
        return
    harness.closed = True  # type: ignore[attr-defined]
    if harness.engine is not None:
        harness.engine.gate.set()
    session = Session(None, loop, harness.window, harness.runtime)  # type: ignore[arg-type]
    loop.run_until_complete(
        asyncio.wait_for(close_session(session, stop_workers=False), TEST_TIMEOUT)
    )
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


#: What loading the 3D stack imports (gui/app.py's order): imported before a leak
#: check counts, so objects made at import are not taken for a leak.
_3D_MODULES = ("pyvista", "pyvista.plotting", "pyvistaqt", "image2model_desktop.mesh.stage")


def vtk_objects() -> collections.Counter[str]:
    """VTK objects and PyVista/pyvistaqt instances Python holds, by type (after a collection).

    Instances only: classes, method descriptors and lazy loaders appear as VTK's
    modules are first imported, and stay for good.
    """
    from vtkmodules.vtkCommonCore import vtkObjectBase

    gc.collect()
    count: collections.Counter[str] = collections.Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        module = getattr(kind, "__module__", None) or ""
        if isinstance(obj, type):
            continue
        if isinstance(obj, vtkObjectBase) or module.startswith("pyvista"):
            count[kind.__name__] += 1
    return count


@pytest.fixture(autouse=True)
def check_gc(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose windows leave VTK objects or interactors behind.

    pyvistaqt's own tests do the same (an autouse ``check_gc``): VTK holds Python
    observers from C++, out of the collector's sight, so a view that is not
    released keeps its renderer, window and actors alive. Torn down after
    ``open_window`` has closed the test's windows (an autouse fixture is set up
    first, so it ends last).
    """
    if "open_window" not in request.fixturenames:
        yield
        return
    for name in _3D_MODULES:
        importlib.import_module(name)
    before = vtk_objects()
    yield
    grown = vtk_objects() - before
    assert not grown, f"VTK objects outlived the test's windows: {dict(grown)}"
