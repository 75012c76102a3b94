"""The window's look: one stylesheet drawn from a light or a dark palette.

``apply_theme`` picks the palette (Light, Dark, or System: Qt's style hints
say what the OS uses) and sets both the stylesheet and the ``QPalette``, so
the widgets the stylesheet does not name (spin boxes, combo boxes, scroll
bars, the file dialog) follow too. Painted widgets read ``current()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # Qt is imported where it is used: this module loads before the window
    from image2model_desktop.gui.qt import QApplication, QGuiApplication, QPalette, QWidget

ThemeChoice = Literal["system", "light", "dark"]


@dataclass(frozen=True)
class Palette:
    """Every colour the window uses, by role."""

    dark: bool
    window: str
    surface: str
    surface_hover: str
    border: str
    border_strong: str
    text: str
    muted: str
    faint: str
    sidebar: str
    section: str
    drop_border: str
    drop_hover: str
    accent: str
    accent_hover: str
    accent_disabled: str
    accent_text: str
    checked: str
    selected: str
    track: str
    thumb: str
    error: str
    success: str
    warning: str
    queued: str
    cancelled: str
    error_bg: str
    warning_bg: str
    info_bg: str
    success_bg: str

    def state_colours(self) -> dict[str, str]:
        return {
            "pending": self.muted,
            "uploading": self.accent,
            "queued": self.queued,
            "generating": self.accent,
            "downloading": self.accent,
            "completed": self.success,
            "failed": self.error,
            "cancelled": self.cancelled,
            "unconfirmed": self.warning,
        }


LIGHT = Palette(
    dark=False,
    window="#f4f5f7",
    surface="#ffffff",
    surface_hover="#f2f4f7",
    border="#e4e7ec",
    border_strong="#cfd4dc",
    text="#1d2433",
    muted="#667085",
    faint="#98a2b3",
    sidebar="#eceef2",
    section="#344054",
    drop_border="#b6c2d9",
    drop_hover="#eef3ff",
    accent="#3563e9",
    accent_hover="#2a52c7",
    accent_disabled="#a9bdf5",
    accent_text="#1e3a8a",
    checked="#e3eafc",
    selected="#dde6fb",
    track="#e8ebf0",
    thumb="#eef0f4",
    error="#c0362c",
    success="#1f8a4c",
    warning="#a15c07",
    queued="#7a5af8",
    cancelled="#98a2b3",
    error_bg="#fdecea",
    warning_bg="#fff4e0",
    info_bg="#e9f0ff",
    success_bg="#e7f6ec",
)

# Contrast checked against the surfaces: text ≥ 12:1, muted and state colours ≥ 4.5:1.
DARK = Palette(
    dark=True,
    window="#15171c",
    surface="#1e2128",
    surface_hover="#292d36",
    border="#30343e",
    border_strong="#454b57",
    text="#e6e8ee",
    muted="#a3acbb",
    faint="#7c8595",
    sidebar="#191b21",
    section="#c9ced8",
    drop_border="#4f5b73",
    drop_hover="#1f2a44",
    accent="#6d8ff2",
    accent_hover="#4a6fe0",
    accent_disabled="#34457a",
    accent_text="#c7d5ff",
    checked="#26355e",
    selected="#2a3a66",
    track="#30343e",
    thumb="#292d36",
    error="#f47a70",
    success="#4cc38a",
    warning="#f0a83a",
    queued="#a48afb",
    cancelled="#8a93a3",
    error_bg="#3b2020",
    warning_bg="#392b12",
    info_bg="#1c2745",
    success_bg="#15301f",
)

# The light palette's colours under their old names (painted widgets read ``current()``).
ACCENT = LIGHT.accent
MUTED = LIGHT.muted
ERROR = LIGHT.error
SUCCESS = LIGHT.success
WARNING = LIGHT.warning
STATE_COLOURS = LIGHT.state_colours()

_current = LIGHT


def current() -> Palette:
    """The palette in use now."""
    return _current


def stylesheet(p: Palette) -> str:
    """The application's stylesheet in palette ``p``."""
    sheet = f"""
QMainWindow, QDialog {{ background: {p.window}; }}
QWidget {{ font-size: 10pt; color: {p.text}; }}
QToolTip {{ color: {p.text}; background: {p.surface}; border: 1px solid {p.border_strong}; }}
QLabel#pageTitle {{ font-size: 15pt; font-weight: 600; }}
QLabel#appTitle {{ font-size: 13pt; font-weight: 700; }}
QLabel#muted, QLabel[muted="true"] {{ color: {p.muted}; }}
QLabel#stepLabel {{ color: {p.faint}; padding: 2px 8px; }}
QLabel#stepLabel[active="true"] {{ color: {p.accent}; font-weight: 600;
    border-bottom: 2px solid {p.accent}; }}
QFrame#header {{ background: {p.surface}; border-bottom: 1px solid {p.border}; }}
QFrame#card {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 8px; }}
QFrame#sidebar {{ background: {p.sidebar}; border-right: 1px solid {p.border}; }}
QLabel#sectionTitle {{ font-weight: 600; color: {p.section}; }}
QFrame#dropZone {{ background: {p.surface}; border: 2px dashed {p.drop_border};
    border-radius: 10px; }}
QFrame#dropZone[hover="true"] {{ background: {p.drop_hover}; border-color: {p.accent}; }}
QFrame#dropZone:focus {{ border: 2px solid {p.accent}; background: {p.drop_hover}; }}
QLabel#notice, QLabel#printVerdict {{ padding: 6px 10px; border-radius: 6px; }}
QLabel#notice[kind="error"], QLabel#printVerdict[kind="error"] {{
    background: {p.error_bg}; color: {p.error}; }}
QLabel#notice[kind="warning"], QLabel#printVerdict[kind="warning"] {{
    background: {p.warning_bg}; color: {p.warning}; }}
QLabel#notice[kind="info"], QLabel#printVerdict[kind="info"] {{
    background: {p.info_bg}; color: {p.accent_text}; }}
QLabel#notice[kind="success"], QLabel#printVerdict[kind="success"] {{
    background: {p.success_bg}; color: {p.success}; }}
QLabel#printVerdict {{ font-weight: 600; }}
QLabel#finding[severity="problem"] {{ color: {p.error}; }}
QLabel#finding[severity="warning"] {{ color: {p.warning}; }}
QPushButton {{ padding: 6px 14px; border: 1px solid {p.border_strong}; border-radius: 6px;
    background: {p.surface}; }}
QPushButton:hover {{ background: {p.surface_hover}; }}
QPushButton:disabled {{ color: {p.faint}; background: {p.surface_hover}; }}
QPushButton:focus {{ border: 2px solid {p.accent}; }}
QPushButton#primary {{ background: {p.accent}; color: white; border-color: {p.accent};
    font-weight: 600; padding: 8px 20px; }}
QPushButton#primary:hover {{ background: {p.accent_hover}; }}
QPushButton#primary:disabled {{ background: {p.accent_disabled};
    border-color: {p.accent_disabled}; color: white; }}
QPushButton:checked {{ background: {p.checked}; border-color: {p.accent};
    color: {p.accent_text}; }}
QToolButton {{ padding: 4px 8px; border: 1px solid transparent; border-radius: 5px; }}
QToolButton:hover {{ background: {p.surface_hover}; border-color: {p.border_strong}; }}
QToolButton:checked {{ background: {p.checked}; border-color: {p.accent}; }}
QToolButton:focus {{ border: 2px solid {p.accent}; }}
QToolButton:disabled {{ color: {p.faint}; }}
QToolButton:checked:disabled {{ background: transparent; border-color: {p.border}; }}
QToolButton[popupMode="2"] {{ padding-right: 18px; }}
QToolButton::menu-indicator {{ subcontrol-origin: padding; subcontrol-position: center right;
    right: 5px; }}
QToolButton#qt_toolbar_ext_button {{ padding-right: 8px; }}
QToolButton#qt_toolbar_ext_button::menu-indicator {{ image: none; width: 0px; }}
QLineEdit {{ padding: 3px 6px; border: 1px solid {p.border_strong};
    border-radius: 5px; background: {p.surface}; }}
QLineEdit:focus {{ border: 2px solid {p.accent}; }}
QCheckBox:focus, QRadioButton:focus {{ color: {p.accent}; }}
QCheckBox::indicator {{ width: 13px; height: 13px; border: 1px solid {p.faint};
    border-radius: 3px; background: {p.surface}; }}
QCheckBox::indicator:checked {{ background: {p.accent}; border-color: {p.accent};
    image: url(:/qt-project.org/styles/commonstyle/images/standardbutton-apply-16.png); }}
QCheckBox::indicator:disabled {{ background: {p.surface_hover}; border-color: {p.border}; }}
QSlider:focus {{ background: {p.checked}; border-radius: 4px; }}
QListWidget {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 8px;
    outline: none; }}
QListWidget:focus {{ border: 2px solid {p.accent}; }}
QListWidget#libraryList {{ background: transparent; border: 1px solid transparent; }}
QListWidget#libraryList:focus {{ border: 2px solid {p.accent}; }}
QListWidget::item {{ border-radius: 6px; padding: 2px; }}
QListWidget::item:selected {{ background: {p.selected}; color: {p.text}; }}
QProgressBar {{ border: none; background: {p.track}; border-radius: 4px; height: 8px;
    text-align: center; font-size: 1px; color: transparent; }}
QProgressBar::chunk {{ background: {p.accent}; border-radius: 4px; }}
QProgressBar[state="completed"]::chunk {{ background: {p.success}; }}
QProgressBar[state="failed"]::chunk {{ background: {p.error}; }}
QProgressBar[state="cancelled"]::chunk {{ background: {p.cancelled}; }}
QScrollArea {{ border: none; background: transparent; }}
QLabel#rowThumbnail {{ background: {p.thumb}; border-radius: 4px; }}
QLabel#rowName {{ font-weight: 600; }}
QLabel#rowMessage {{ color: {p.muted}; }}
QLabel#rowMessage[failed="true"] {{ color: {p.error}; }}
QLabel#rowMessage[warning="true"] {{ color: {p.warning}; font-weight: 600; }}
QLabel#photoStatus {{ color: {p.muted}; }}
QLabel#photoStatus[kind="ready"] {{ color: {p.success}; }}
QLabel#photoStatus[kind="refused"] {{ color: {p.error}; }}
QLabel#fileState {{ font-weight: 600; color: {p.muted}; }}
QLabel#apiStatus[kind="error"] {{ color: {p.error}; }}
"""
    # One rule per file state for the processing rows' state word.
    return sheet + "".join(
        f'QLabel#fileState[state="{state}"] {{ color: {colour}; }}\n'
        for state, colour in p.state_colours().items()
    )


STYLESHEET = stylesheet(LIGHT)

# Applied per button: the objectName of these buttons is their automation name.
PRIMARY_BUTTON = (
    f"QPushButton {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT};"
    " font-weight: 600; padding: 8px 22px; border-radius: 6px; }"
    "QPushButton:hover { background: #2a52c7; }"
    "QPushButton:focus { border: 2px solid #0b1f66; }"
    "QPushButton:disabled { background: #a9bdf5; border-color: #a9bdf5; color: white; }"
)


def system_is_dark(app: QGuiApplication) -> bool:
    """Whether the OS colour scheme is dark, as Qt's style hints report it."""
    from image2model_desktop.gui.qt import Qt

    hints = app.styleHints()
    return bool(hints.colorScheme() == Qt.ColorScheme.Dark)


def resolve(choice: ThemeChoice, app: QGuiApplication) -> Palette:
    if choice == "system":
        return DARK if system_is_dark(app) else LIGHT
    return DARK if choice == "dark" else LIGHT


def apply_theme(app: QApplication, choice: ThemeChoice) -> Palette:
    """Style the application for ``choice``; return the palette now in use."""
    global _current
    palette = resolve(choice, app)
    _current = palette
    app.setPalette(_qt_palette(palette))
    app.setStyleSheet(stylesheet(palette))
    return palette


def _qt_palette(p: Palette) -> QPalette:
    from image2model_desktop.gui.qt import QColor, QPalette

    qp = QPalette()
    role = QPalette.ColorRole
    for name, colour in (
        (role.Window, p.window),
        (role.WindowText, p.text),
        (role.Base, p.surface),
        (role.AlternateBase, p.surface_hover),
        (role.Text, p.text),
        (role.Button, p.surface),
        (role.ButtonText, p.text),
        (role.ToolTipBase, p.surface),
        (role.ToolTipText, p.text),
        (role.PlaceholderText, p.faint),
        (role.Highlight, p.accent),
        (role.HighlightedText, "#ffffff"),
        (role.Link, p.accent),
        (role.Light, p.surface_hover),
        (role.Mid, p.faint),
        (role.Dark, p.border_strong),
    ):
        qp.setColor(name, QColor(colour))
    qp.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor(p.faint))
    qp.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor(p.faint))
    qp.setColor(QPalette.ColorGroup.Disabled, role.WindowText, QColor(p.faint))
    return qp


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
