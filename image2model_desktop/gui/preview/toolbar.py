"""The preview pane's toolbar and section slider (built onto the pane; its slots live there).

Tools that do not fit a narrow pane (a 1024 px window) move behind the
QToolBar's » button instead of widening the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from image2model_desktop.gui.qt import (
    QActionGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProxyStyle,
    QSlider,
    QStyle,
    Qt,
    QToolBar,
    QToolButton,
    QWidget,
)

if TYPE_CHECKING:
    from image2model_desktop.gui.preview.pane import PreviewPane

#: Width of the toolbar's » button: the style's 12 px left it as a blank sliver here.
EXTENSION_WIDTH = 34


class _WideExtension(QProxyStyle):
    """The platform style, with a » button wide enough to see and click."""

    def pixelMetric(self, metric: QStyle.PixelMetric, *args: object) -> int:
        if metric == QStyle.PixelMetric.PM_ToolBarExtensionExtent:
            return EXTENSION_WIDTH
        return int(super().pixelMetric(metric, *args))  # type: ignore[arg-type]  # PySide's overloads


LIGHTING_LABELS = {"soft": "Soft", "studio": "Studio", "flat": "Flat (as photographed)"}
SECTION_AXES = ("Height (Y)", "Width (X)", "Depth (Z)")


def build_toolbar(pane: PreviewPane) -> QHBoxLayout:
    bar = QHBoxLayout()
    bar.setSpacing(4)
    pane.reset_button = tool_button(
        "Reset view", "Frame the whole model again (R)", pane.reset_view
    )
    pane.wireframe_button = tool_button("Wireframe", "Show the mesh's edges", pane._on_wireframe)
    pane.wireframe_button.setCheckable(True)
    pane.texture_button = tool_button("Texture", "Show or hide the photo texture", pane._on_texture)
    pane.texture_button.setCheckable(True)
    pane.texture_button.setChecked(True)
    pane.pbr_button = tool_button(
        "PBR",
        "Physically based materials (metal, roughness) when the model has them",
        pane._on_pbr,
    )
    pane.pbr_button.setCheckable(True)
    pane.lighting_button = tool_button("Lighting", "Choose how the model is lit", None)
    pane.lighting_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(pane.lighting_button)
    group = QActionGroup(menu)
    pane.lighting_actions = {}
    for key, label in LIGHTING_LABELS.items():
        action = menu.addAction(label)
        action.setCheckable(True)
        action.setChecked(key == "soft")
        group.addAction(action)
        action.triggered.connect(lambda _=False, k=key: pane.set_lighting(k))
        pane.lighting_actions[key] = action
    pane.lighting_button.setMenu(menu)
    pane.dimensions_button = tool_button(
        "Dimensions", "Show the model's size along each side", pane._on_dimensions
    )
    pane.dimensions_button.setCheckable(True)
    pane.measure_button = tool_button(
        "Measure", "Click two points on the model to measure between them", pane._on_measure
    )
    pane.measure_button.setCheckable(True)
    pane.section_button = tool_button(
        "Section", "Cut the model open with a plane", pane._on_section
    )
    pane.section_button.setCheckable(True)
    pane.screenshot_button = tool_button("Screenshot", "Save this view as a PNG", None)
    pane.screenshot_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    shot_menu = QMenu(pane.screenshot_button)
    shot_menu.addAction("Save view…").triggered.connect(lambda: pane.save_screenshot(False))
    shot_menu.addAction("Save view with transparent background…").triggered.connect(
        lambda: pane.save_screenshot(True)
    )
    pane.screenshot_button.setMenu(shot_menu)
    pane.turntable_button = tool_button(
        "Turntable…", "Export a turning animation (GIF or MP4)", pane._on_turntable
    )
    pane.unit_box = QComboBox()
    pane.unit_box.setObjectName("unitBox")
    pane.unit_box.setAccessibleName("Units for dimensions and measurements")
    pane.unit_box.setToolTip("Units for dimensions and measurements")
    for unit in ("mm", "cm", "m", "in"):
        pane.unit_box.addItem(unit, unit)
    pane.unit_box.setCurrentIndex(1)
    pane.unit_box.currentIndexChanged.connect(pane._on_unit)
    pane.tools = (
        pane.reset_button,
        pane.wireframe_button,
        pane.texture_button,
        pane.pbr_button,
        pane.lighting_button,
        pane.dimensions_button,
        pane.measure_button,
        pane.section_button,
        pane.screenshot_button,
        pane.turntable_button,
    )
    pane.single_model_tools = (
        pane.pbr_button,
        pane.dimensions_button,
        pane.measure_button,
        pane.section_button,
        pane.turntable_button,
    )
    # A QToolBar moves what does not fit behind its » button, so a narrow pane
    # (a 1024 px window) keeps every tool reachable without widening the window.
    pane.toolbar = QToolBar()
    pane.toolbar.setObjectName("previewToolbar")
    pane.toolbar.setAccessibleName("3D preview tools")
    pane.toolbar_style = _WideExtension()
    pane.toolbar.setStyle(pane.toolbar_style)
    more = pane.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    if more is not None:
        more.setText("»")
        more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        more.setToolTip("More tools")
        more.setAccessibleName("More tools")
    for button in pane.tools:
        pane.toolbar.addWidget(button)
    pane.toolbar.addWidget(pane.unit_box)
    bar.addWidget(pane.toolbar, 1)
    pane.status = QLabel()
    pane.status.setObjectName("muted")
    pane.status.setAccessibleName("Preview status")
    bar.addWidget(pane.status)
    return bar


def build_section_bar(pane: PreviewPane) -> QWidget:
    pane.section_bar = QWidget()
    row = QHBoxLayout(pane.section_bar)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(QLabel("Cut across"))
    pane.section_axis = QComboBox()
    pane.section_axis.setAccessibleName("Section plane direction")
    pane.section_axis.addItems(SECTION_AXES)
    pane.section_axis.currentIndexChanged.connect(pane._apply_section)
    row.addWidget(pane.section_axis)
    pane.section_slider = QSlider(Qt.Orientation.Horizontal)
    pane.section_slider.setObjectName("sectionSlider")
    pane.section_slider.setAccessibleName("Section plane position")
    pane.section_slider.setRange(0, 100)
    pane.section_slider.setValue(50)
    pane.section_slider.valueChanged.connect(pane._apply_section)
    row.addWidget(pane.section_slider, 1)
    pane.section_bar.setVisible(False)
    return pane.section_bar


def tool_button(text: str, tip: str, slot: Callable[[], None] | None) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAccessibleName(text.rstrip("…"))
    if slot is not None:
        button.clicked.connect(slot)
    return button
