"""The window's look: one stylesheet and a few shared colours."""

from __future__ import annotations

ACCENT = "#3563e9"
MUTED = "#667085"
ERROR = "#c0362c"
SUCCESS = "#1f8a4c"
WARNING = "#a15c07"

STATE_COLOURS = {
    "pending": MUTED,
    "uploading": ACCENT,
    "queued": "#7a5af8",
    "generating": ACCENT,
    "downloading": ACCENT,
    "completed": SUCCESS,
    "failed": ERROR,
    "cancelled": MUTED,
}

STYLESHEET = f"""
QMainWindow, QDialog {{ background: #f4f5f7; }}
QWidget {{ font-size: 10pt; color: #1d2433; }}
QLabel#pageTitle {{ font-size: 15pt; font-weight: 600; }}
QLabel#appTitle {{ font-size: 13pt; font-weight: 700; }}
QLabel#muted, QLabel[muted="true"] {{ color: {MUTED}; }}
QLabel#stepLabel {{ color: #98a2b3; padding: 2px 8px; }}
QLabel#stepLabel[active="true"] {{ color: {ACCENT}; font-weight: 600;
    border-bottom: 2px solid {ACCENT}; }}
QFrame#header {{ background: white; border-bottom: 1px solid #e4e7ec; }}
QFrame#card {{ background: white; border: 1px solid #e4e7ec; border-radius: 8px; }}
QFrame#sidebar {{ background: #eceef2; border-right: 1px solid #e0e3e8; }}
QLabel#sectionTitle {{ font-weight: 600; color: #344054; }}
QFrame#dropZone {{ background: white; border: 2px dashed #b6c2d9; border-radius: 10px; }}
QFrame#dropZone[hover="true"] {{ background: #eef3ff; border-color: {ACCENT}; }}
QLabel#notice {{ padding: 6px 10px; border-radius: 6px; }}
QLabel#notice[kind="error"] {{ background: #fdecea; color: {ERROR}; }}
QLabel#notice[kind="warning"] {{ background: #fff4e0; color: {WARNING}; }}
QLabel#notice[kind="info"] {{ background: #e9f0ff; color: #1e3a8a; }}
QLabel#notice[kind="success"] {{ background: #e7f6ec; color: {SUCCESS}; }}
QPushButton {{ padding: 6px 14px; border: 1px solid #cfd4dc; border-radius: 6px;
    background: white; }}
QPushButton:hover {{ background: #f2f4f7; }}
QPushButton:disabled {{ color: #98a2b3; background: #f2f4f7; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border-color: {ACCENT};
    font-weight: 600; padding: 8px 20px; }}
QPushButton#primary:hover {{ background: #2a52c7; }}
QPushButton#primary:disabled {{ background: #a9bdf5; border-color: #a9bdf5; color: white; }}
QPushButton:checked {{ background: #e3eafc; border-color: {ACCENT}; color: #1e3a8a; }}
QToolButton {{ padding: 4px 8px; border: 1px solid transparent; border-radius: 5px; }}
QToolButton:hover {{ background: #eef1f6; border-color: #d0d5dd; }}
QToolButton:checked {{ background: #e3eafc; border-color: {ACCENT}; }}
QListWidget {{ background: white; border: 1px solid #e4e7ec; border-radius: 8px;
    outline: none; }}
QListWidget#libraryList {{ background: transparent; border: none; }}
QListWidget::item {{ border-radius: 6px; padding: 2px; }}
QListWidget::item:selected {{ background: #dde6fb; color: #1d2433; }}
QProgressBar {{ border: none; background: #e8ebf0; border-radius: 4px; height: 8px;
    text-align: center; font-size: 1px; color: transparent; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 4px; }}
QProgressBar[state="completed"]::chunk {{ background: {SUCCESS}; }}
QProgressBar[state="failed"]::chunk {{ background: {ERROR}; }}
QProgressBar[state="cancelled"]::chunk {{ background: #98a2b3; }}
QScrollArea {{ border: none; background: transparent; }}
QLabel#rowThumbnail {{ background: #eef0f4; border-radius: 4px; }}
QLabel#rowName {{ font-weight: 600; }}
QLabel#rowMessage {{ color: {MUTED}; }}
QLabel#rowMessage[failed="true"] {{ color: {ERROR}; }}
QLabel#rowMessage[warning="true"] {{ color: {WARNING}; font-weight: 600; }}
QLabel#fileState {{ font-weight: 600; color: {MUTED}; }}
QLabel#apiStatus[kind="error"] {{ color: {ERROR}; }}
"""
# One rule per file state for the processing rows' state word.
STYLESHEET += "".join(
    f'QLabel#fileState[state="{state}"] {{ color: {colour}; }}\n'
    for state, colour in STATE_COLOURS.items()
)

# Applied per button: the objectName of these buttons is their automation name.
PRIMARY_BUTTON = (
    f"QPushButton {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT};"
    " font-weight: 600; padding: 8px 22px; border-radius: 6px; }"
    "QPushButton:hover { background: #2a52c7; }"
    "QPushButton:disabled { background: #a9bdf5; border-color: #a9bdf5; color: white; }"
)


def repolish(widget: object) -> None:
    """Re-apply the stylesheet after a dynamic property changed."""
    style = widget.style()  # type: ignore[attr-defined]
    style.unpolish(widget)
    style.polish(widget)
