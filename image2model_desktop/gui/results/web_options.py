"""The export dialog's web/game section: a size budget, levels of detail, and the size to expect.

Planning (``mesh.web.plan_web_export``: decimate, Draco-encode, shrink the
texture until the budget fits) takes 0.8–1.8 s on a 20k-face model and 7–12 s
on a 500k one, so it runs in the process pool while the section says it is
computing; the plan holds every file's bytes, and Save writes those bytes (in
a thread) without computing again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from image2model_desktop.core.workers import run_in_process
from image2model_desktop.gui.qt import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSpinBox,
    QWidget,
    Signal,
)
from image2model_desktop.mesh.options import ExportOptions
from image2model_desktop.mesh.web import (
    DEFAULT_LODS,
    MAX_LODS,
    WebExportPlan,
    WebProfile,
    format_size,
    lod_paths,
    parse_size,
    plan_web_export,
)

#: What the format box shows for the web profile (it writes .glb files).
WEB_LABEL = "Web/game (Draco glTF + LODs)"


class WebOptionsBox(QGroupBox):
    """Budget and levels of detail; shows the planned size and warnings before writing."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Web and game engines", parent)
        self.setObjectName("webOptions")
        form = QFormLayout(self)
        self.budget_edit = QLineEdit()
        self.budget_edit.setAccessibleName("Size budget")
        self.budget_edit.setPlaceholderText("no limit, or e.g. 5MB")
        form.addRow("Size &budget", self.budget_edit)
        self.lods_box = QSpinBox()
        self.lods_box.setAccessibleName("Levels of detail")
        self.lods_box.setRange(1, MAX_LODS)
        self.lods_box.setValue(DEFAULT_LODS)
        self.lods_box.setToolTip("One file per level: 100 %, 50 %, 25 %, 10 % … of the faces")
        form.addRow("&Levels of detail", self.lods_box)
        self.busy = QProgressBar()
        self.busy.setObjectName("webPlanning")
        self.busy.setAccessibleName("Computing the web export")
        self.busy.setRange(0, 0)  # it cannot say how far it is: a moving bar
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.busy.hide()
        form.addRow(self.busy)
        self.size_label = QLabel()
        self.size_label.setObjectName("webSize")
        self.size_label.setAccessibleName("Size of the web export")
        self.size_label.setWordWrap(True)
        form.addRow(self.size_label)
        self.budget_edit.textChanged.connect(self.changed)
        self.lods_box.valueChanged.connect(self.changed)

    def profile(self) -> WebProfile:
        """The profile as typed; ``ValueError`` with a sentence."""
        text = self.budget_edit.text().strip()
        return WebProfile(lods=self.lods_box.value(), budget=parse_size(text) if text else None)

    def show_computing(self) -> None:
        self.busy.show()
        self.size_label.setText(
            "Computing the web export (levels of detail, compression)… a big model takes "
            "several seconds."
        )

    def show_plan(self, plan: WebExportPlan) -> None:
        self.busy.hide()
        files = len(plan.files)
        parts = ", ".join(f"LOD{n} {format_size(f.size)}" for n, f in enumerate(plan.files))
        said = f"≈ {format_size(plan.total_bytes)} in {files} file{'s' if files != 1 else ''}"
        said += f" ({parts})." if files > 1 else "."
        self.size_label.setText(" ".join([said, *plan.warnings]))

    def show_failure(self, sentence: str) -> None:
        self.busy.hide()
        self.size_label.setText(sentence)


async def plan_in_pool(
    src: Path, dest: Path, options: ExportOptions, profile: WebProfile
) -> WebExportPlan:
    """Plan the web export of ``src`` for ``dest`` in the process pool."""
    return await run_in_process(plan_web_export, src, dest, options, profile)


def moved(plan: WebExportPlan, dest: Path) -> WebExportPlan | None:
    """The same bytes written under ``dest``'s names, or None when they would differ.

    Each level's node is named after the file's stem (``out_LOD1``), so a plan can
    move to another folder, not to another name.
    """
    if dest.stem != plan.files[0].path.stem or dest.suffix.lower() != ".glb":
        return None
    paths = lod_paths(dest, len(plan.files))
    files = tuple(dataclasses.replace(f, path=p) for f, p in zip(plan.files, paths, strict=True))
    return dataclasses.replace(plan, files=files)
