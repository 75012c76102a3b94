"""Batch parameters: engine, face limit (Auto, presets, slider), texture, PBR, seed."""

from __future__ import annotations

from image2model_desktop.core.models import DEFAULT_MODEL, JobParameters, TextureQuality
from image2model_desktop.core.parameters import EngineParameters
from image2model_desktop.gui.qt import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QStandardItemModel,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.upload.model_choice import (
    MODEL_ROLE,
    Choice,
    PriceOf,
    add_engine_choices,
    choice_index,
    model_policy,
    relabel_engine_choices,
    taken_only,
)

#: Why PBR is greyed on a model that textures only when asked (FAL's schemas:
#: Tripo's ``pbr`` with ``texture: no`` would be textured anyway, and billed so).
PBR_NEEDS_TEXTURE = "PBR materials need a texture: pick Standard or HD to use them"

FACE_PRESETS: tuple[tuple[str, int | None], ...] = (
    ("Auto", None),
    ("Low 5,000", 5_000),
    ("Medium 10,000", 10_000),
    ("High 20,000", 20_000),
)
SLIDER_MIN, SLIDER_MAX, SLIDER_STEP = 1_000, 50_000, 500

TEXTURES: tuple[tuple[str, TextureQuality], ...] = (
    ("Standard", "standard"),
    ("HD", "HD"),
    ("No texture", "no"),
)


class FaceLimitInput(QWidget):
    """Auto or a number of faces: four preset buttons plus a 1,000–50,000 slider."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("faceLimitInput")
        self.setAccessibleName("Face limit")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._buttons: list[tuple[QPushButton, int | None]] = []
        for label, value in FACE_PRESETS:
            button = QPushButton(label)
            button.setCheckable(True)
            button.setAccessibleName(f"Face limit {label}")
            self._group.addButton(button)
            buttons.addWidget(button)
            button.clicked.connect(lambda _=False, v=value: self.set_value(v))
            self._buttons.append((button, value))
        slider_row = QHBoxLayout()
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setObjectName("faceLimitSlider")
        self._slider.setAccessibleName("Face limit slider")
        self._slider.setRange(SLIDER_MIN, SLIDER_MAX)
        self._slider.setSingleStep(SLIDER_STEP)
        self._slider.setPageStep(5_000)
        self._slider.valueChanged.connect(self._on_slider)
        self._value_label = QLabel()
        self._value_label.setMinimumWidth(190)
        slider_row.addWidget(self._slider, 1)
        slider_row.addWidget(self._value_label)
        layout.addLayout(buttons)
        layout.addLayout(slider_row)
        self._value: int | None = None
        self._low, self._high = SLIDER_MIN, SLIDER_MAX
        self.set_value(None)

    def set_bounds(self, minimum: int, maximum: int) -> None:
        """Keep the slider inside the engine's declared range (and its own 1,000–50,000)."""
        self._low = max(SLIDER_MIN, minimum)
        self._high = max(self._low, min(SLIDER_MAX, maximum))
        self._slider.blockSignals(True)
        self._slider.setRange(self._low, self._high)
        self._slider.blockSignals(False)
        for button, value in self._buttons:
            button.setEnabled(value is None or minimum <= value <= maximum)

    def value(self) -> int | None:
        """The face limit, or None for Auto (the engine decides)."""
        return self._value

    def set_value(self, value: int | None) -> None:
        self._value = value
        self._slider.blockSignals(True)
        self._slider.setValue(value if value is not None else 20_000)
        self._slider.blockSignals(False)
        self._sync()
        self.changed.emit()

    def _on_slider(self, raw: int) -> None:
        # Snap to the step so the number shown is a round one.
        self._value = min(self._high, max(self._low, round(raw / SLIDER_STEP) * SLIDER_STEP))
        self._sync()
        self.changed.emit()

    def _sync(self) -> None:
        for button, value in self._buttons:
            button.setChecked(value == self._value)
        # In Auto the slider shows no number of its own: it waits, greyed, for a preset.
        self._slider.setEnabled(self._value is not None)
        self._slider.setToolTip(
            "Pick Low, Medium or High, then fine-tune here" if self._value is None else ""
        )
        if self._value is None:
            self._value_label.setText("Auto: the engine decides")
        else:
            self._value_label.setText(f"{self._value:,} faces at most")


class ParametersPanel(QWidget):
    """Every parameter of a batch; ``parameters()`` returns them as ``JobParameters``."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        self.engine = QComboBox()
        self.engine.setObjectName("engineInput")
        self.engine.setAccessibleName("Engine")
        # Automatic, Offline, then one line per FAL generator (gui/model_choice.py).
        add_engine_choices(self.engine)
        self._default_model = DEFAULT_MODEL
        #: What the caller last said the chosen engine takes (None: only the FAL
        #: models' own policies are known, as in Settings).
        self._resolved: EngineParameters | None = None
        self._policy: EngineParameters | None = None
        #: What the form does not show, kept from ``set_parameters`` (FAL's retention).
        self._base = JobParameters()
        self.face_limit = FaceLimitInput()
        self.texture = QComboBox()
        self.texture.setObjectName("textureInput")
        self.texture.setAccessibleName("Texture")
        for label, texture in TEXTURES:
            self.texture.addItem(label, texture)
        extras = QHBoxLayout()
        self.pbr = QCheckBox("PBR materials")
        self.pbr.setAccessibleName("PBR materials")
        self.seed = QSpinBox()
        self.seed.setObjectName("seedInput")
        self.seed.setAccessibleName("Seed")
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText("Random")
        self.seed.setValue(-1)
        self.seed_label = seed_label = QLabel("Seed")
        self.seed.setMinimumWidth(140)
        extras.addWidget(self.pbr)
        extras.addSpacing(28)
        extras.addWidget(seed_label)
        extras.addSpacing(6)
        extras.addWidget(self.seed)
        extras.addStretch(1)
        # The chosen FAL model's own options (issue 22); each shown only when its
        # policy takes it (``EngineParameters.options``).
        self.options = QWidget()
        options = QHBoxLayout(self.options)
        options.setContentsMargins(0, 0, 0, 0)
        self.quad = QCheckBox("Quad faces")
        self.quad.setToolTip("Quad faces instead of triangles (Tripo answers them as FBX)")
        self.real_size = QCheckBox("Real size")
        self.real_size.setToolTip("Tripo: the model in real-world metres")
        self.t_pose = QCheckBox("T/A pose")
        self.t_pose.setToolTip("Rodin: characters in T or A pose, ready to rig")
        self.low_poly = QCheckBox("Low poly")
        self.low_poly.setToolTip("Hunyuan3D v3: its LowPoly generation (needs a texture)")
        self.output_format = QComboBox()
        self.output_format.setAccessibleName("Model file format")
        self.output_format.setToolTip("Rodin: the model file's format (GLB shows in the preview)")
        self.output_format.addItem("GLB", None)
        for fmt in ("usdz", "fbx", "obj", "stl"):
            self.output_format.addItem(fmt.upper(), fmt)
        self._option_widgets: dict[str, QWidget] = {
            "quad": self.quad,
            "real_size": self.real_size,
            "t_pose": self.t_pose,
            "low_poly": self.low_poly,
            "output_format": self.output_format,
        }
        for widget in self._option_widgets.values():
            options.addWidget(widget)
        options.addStretch(1)
        # Combos sized to their text, not stretched across the card.
        for combo in (self.engine, self.texture):
            combo.setMaximumWidth(420)
        form.addRow("Engine", self.engine)
        form.addRow("Face limit", self.face_limit)
        form.addRow("Texture", self.texture)
        form.addRow("", extras)
        form.addRow("Model options", self.options)
        for box in (self.quad, self.real_size, self.t_pose, self.low_poly):
            box.toggled.connect(self.changed)
        self.output_format.currentIndexChanged.connect(self.changed)
        self.engine.currentIndexChanged.connect(self._on_choice)
        self.engine.currentIndexChanged.connect(self.changed)
        self.face_limit.changed.connect(self.changed)
        self.texture.currentIndexChanged.connect(self._sync_pbr)
        self.texture.currentIndexChanged.connect(self.changed)
        self.pbr.toggled.connect(self.changed)
        self.seed.valueChanged.connect(self.changed)

    def apply_policy(self, policy: EngineParameters | None) -> None:
        """Take bounds and choices from the engine's declaration; disable what it ignores.

        A FAL generator's policy (one model) also hides what that model does not take.
        """
        self._resolved = policy
        policy = model_policy(self.choice(), policy)
        self._policy = policy
        if policy is None:
            self._show_every_control()
            return
        self.face_limit.set_bounds(policy.face_limit.minimum, policy.face_limit.maximum)
        self.texture.setEnabled(bool(policy.textures))
        self.seed.setEnabled(policy.seed)
        self._show_only_taken(policy)
        self._sync_pbr()

    def _show_every_control(self) -> None:
        """No declaration to go by (Settings' Automatic): every control, as it was."""
        form = self.layout()
        if isinstance(form, QFormLayout):
            form.setRowVisible(self.face_limit, True)
        for widget in (self.pbr, self.seed, self.seed_label, self.texture):
            widget.setVisible(True)
            widget.setEnabled(True)
        self.pbr.setToolTip("")
        model = self.texture.model()
        if isinstance(model, QStandardItemModel):
            for index in range(self.texture.count()):
                item = model.item(index)
                if item is not None:
                    item.setEnabled(True)

    def _on_choice(self) -> None:
        # A FAL model's own policy is known without the caller (Settings has none).
        self.apply_policy(self._resolved)

    def _sync_pbr(self) -> None:
        """PBR is offered where the model takes it, greyed while a needed texture is off."""
        policy = self._policy
        if policy is None:
            return
        needs = policy.pbr_needs_texture and self.texture.currentData() == "no"
        self.pbr.setEnabled(policy.pbr and not needs)
        self.pbr.setToolTip(PBR_NEEDS_TEXTURE if policy.pbr and needs else "")

    def relabel_models(self, price_of: PriceOf) -> None:
        """Show each FAL model's price from ``price_of`` (FAL's own, once read)."""
        relabel_engine_choices(self.engine, price_of)

    def _show_only_taken(self, policy: EngineParameters) -> None:
        """Show the controls of what ``policy`` takes; texture choices it lacks are greyed."""
        model_only = policy.model is not None
        form = self.layout()
        if isinstance(form, QFormLayout):
            form.setRowVisible(self.face_limit, not model_only or policy.takes_face_limit)
        self.pbr.setVisible(not model_only or policy.pbr)
        self.seed.setVisible(not model_only or policy.seed)
        self.seed_label.setVisible(not model_only or policy.seed)
        for option, widget in self._option_widgets.items():
            widget.setVisible(option in policy.options)
        if isinstance(form, QFormLayout):
            form.setRowVisible(self.options, bool(policy.options))
        model = self.texture.model()
        allowed = policy.textures or tuple(
            self.texture.itemData(i) for i in range(self.texture.count())
        )
        if isinstance(model, QStandardItemModel):
            for index in range(self.texture.count()):
                item = model.item(index)
                if item is not None:
                    item.setEnabled(self.texture.itemData(index) in allowed)
        if self.texture.currentData() not in allowed:
            self.texture.setCurrentIndex(self.texture.findData(allowed[0]))

    def parameters(self) -> JobParameters:
        seed = self.seed.value()
        engine, model = self.choice()
        return taken_only(
            self._base.model_copy(
                update={
                    "engine": engine,
                    "face_limit": self.face_limit.value(),
                    "texture": self.texture.currentData(),
                    "pbr": self.pbr.isChecked(),
                    "seed": None if seed < 0 else seed,
                    "model": model or self._default_model,
                    **self._options(),
                }
            ),
            self._policy,
        )

    def _options(self) -> dict[str, object]:
        """The shown options' values; a hidden one (the model lacks it) is off."""
        taken = self._policy.options if self._policy is not None else frozenset()
        return {
            "quad": "quad" in taken and self.quad.isChecked(),
            "real_size": "real_size" in taken and self.real_size.isChecked(),
            "t_pose": "t_pose" in taken and self.t_pose.isChecked(),
            "low_poly": "low_poly" in taken and self.low_poly.isChecked(),
            "output_format": self.output_format.currentData() if "output_format" in taken else None,
        }

    @property
    def policy(self) -> EngineParameters | None:
        """What the chosen engine (FAL: the chosen model) takes, as last applied."""
        return self._policy

    def choice(self) -> Choice:
        """The picker's (engine, model): FAL's entries name their generator."""
        return (self.engine.currentData(), self.engine.currentData(MODEL_ROLE))

    def set_parameters(self, parameters: JobParameters) -> None:
        self._base = parameters
        self._default_model = parameters.model
        self.engine.setCurrentIndex(choice_index(self.engine, parameters))
        self.face_limit.set_value(parameters.face_limit)
        self.texture.setCurrentIndex(max(0, self.texture.findData(parameters.texture)))
        self.pbr.setChecked(parameters.pbr)
        self.seed.setValue(-1 if parameters.seed is None else parameters.seed)
        self.quad.setChecked(parameters.quad)
        self.real_size.setChecked(parameters.real_size)
        self.t_pose.setChecked(parameters.t_pose)
        self.low_poly.setChecked(parameters.low_poly)
        index = self.output_format.findData(parameters.output_format)
        self.output_format.setCurrentIndex(max(0, index))
