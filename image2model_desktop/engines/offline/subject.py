"""The offline engine's first step: find the photo's subject, as one connected part.

Three ways to tell the subject from its background, by what the photo offers:

* real transparency: the alpha channel;
* a plain background (the border fits a smooth colour model closely): the
  pixels that differ from that model, without the soft shadows the subject
  casts on it;
* a busy background (a table's grain, a room): GrabCut, seeded by the border
  as certain background (``grabcut``).

The model is made from the largest connected part, its small holes filled.
When the photo had no clear subject (several comparable parts, a tiny one, the
whole frame, colours that barely differ) the part comes with a warning: one
sentence saying what went wrong and what to try.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: A "subject" covering more than this share of the frame, or of its border, is
#: the background itself (a busy scene): the model is made but comes with a warning.
MAX_SUBJECT_SHARE = 0.85
MAX_BORDER_SHARE = 0.5
#: Parts at least this share of the largest are separate parts of the photo: the model
#: leaves them out and says so. Smaller ones are specks, dropped without a word.
SEPARATE_PART = 0.2
#: Parts closer than this share of the photo's longer side join the largest (a gap
#: that thin is a seam inside the subject, such as a strap or a shadow line).
JOIN_GAP = 0.02
#: A subject smaller than this share of the frame is more likely a detail of the scene.
MIN_SUBJECT_SHARE = 0.01
#: The border's spread around its smooth colour model (``_colour_distance`` units) below
#: which the background is plain. Measured: 0.001–0.033 on the samples and the drawn
#: table photos, 0.19–1.05 on scikit-image's photographs and the drawn busy scene.
PLAIN_SPREAD = 0.1
#: GrabCut's certain background: this share of the shorter side around the border.
GRABCUT_BAND = 0.03
#: GrabCut foregrounds whose colours are likelier under their own model than the
#: background's by less than this (median nats) were not told apart clearly. Measured on
#: scikit-image's photographs: 6.3 on coffee and 6.8 on astronaut (a cup, a person);
#: 0.8–3.3 on stereo_motorcycle, chelsea, rocket and the drawn busy scene (a motorcycle
#: with the shelves behind it, a cat's face, a patch of sky with the rocket, scraps).
MIN_CONTRAST = 4.0

PLAIN_BACKGROUND_ADVICE = "try a photo of one object against a plain background."
NO_SUBJECT_WARNING = (
    "No subject stood out from the background, so the model is the whole photo; "
    + PLAIN_BACKGROUND_ADVICE
)
BUSY_WARNING = (
    "The subject could not be told apart from the background, so the model is most of "
    "the photo; " + PLAIN_BACKGROUND_ADVICE
)
SEVERAL_PARTS_WARNING = (
    "No single subject stood out from the background ({parts} separate parts), so the "
    "model is the largest; " + PLAIN_BACKGROUND_ADVICE
)
TINY_WARNING = (
    "The subject found is very small ({share:.1%} of the photo) and may be a detail of the "
    "scene; try a closer photo of one object against a plain background."
)
LOW_CONTRAST_WARNING = (
    "The subject could not be told clearly from a busy background, so the model may hold "
    "some of it or miss parts; " + PLAIN_BACKGROUND_ADVICE
)
#: A shadow leaves at least this share of the light (darker is an object).
SHADOW_DARKEST = 0.25
#: A dark neutral region that reaches less than this share of its depth within
#: ``EDGE_DEPTH_PIXELS`` (analysis pixels in from plain background) is a soft shadow.
SHADOW_EDGE_REACHED = 0.5
EDGE_DEPTH_PIXELS = (3.0, 5.0)
#: Holes smaller than this share of the subject are noise; larger ones are real (a mug handle).
MAX_FILLED_HOLE = 0.01


def subject_mask(small: FloatArray) -> tuple[FloatArray, str | None]:
    """Return a smooth mask in [0, 1] of the subject (0.5 is the outline) and a warning.

    The mask's inside is one connected part. The warning is a sentence for the
    person when the photo had no clear subject; the model is still made.
    """
    from scipy import ndimage

    alpha = small[..., 3]
    has_alpha = (alpha < 0.5).mean() > 0.002 and (alpha >= 0.5).mean() > 0.002
    if has_alpha:
        found, warning = alpha >= 0.5, None
    else:
        found, warning = _find_subject(small[..., :3])
    binary, judged = _largest_part(_open(found), judge_frame=not has_alpha)
    # A cutout's holes are meant (only a few stray pixels are filled); a found subject's
    # small holes are noise of the finding.
    binary = _fill_holes(binary, small_only=not has_alpha)
    warning = judged or warning
    smooth: FloatArray = ndimage.gaussian_filter(binary.astype(np.float64), 1.0)
    # Smoothing erases hairlines; keep the raw silhouette where it would vanish.
    return np.where(binary & (smooth < 0.5), 0.5 + 0.5 * binary, smooth), warning


def _find_subject(rgb: FloatArray) -> tuple[BoolArray, str | None]:
    """Find the subject's pixels in a photo without transparency, and a doubt about them."""
    from .grabcut import grabcut

    height, width = rgb.shape[:2]
    fit = _border_background(rgb)
    if fit is not None and fit[2] < PLAIN_SPREAD:
        return _foreground_on_plain(rgb, *fit), None
    cut = grabcut(rgb, _border_band(height, width, GRABCUT_BAND))
    return cut.foreground, LOW_CONTRAST_WARNING if cut.contrast < MIN_CONTRAST else None


def _largest_part(binary: BoolArray, *, judge_frame: bool) -> tuple[BoolArray, str | None]:
    """Keep the largest part (and the parts a thin gap away); say why it may not be the subject."""
    from scipy import ndimage

    if binary.sum() < max(16, 0.001 * binary.size):
        return _whole_frame(binary.shape), NO_SUBJECT_WARNING
    part = _joined(binary)
    if judge_frame and _fills_frame(part):
        return part, BUSY_WARNING
    labels, count = ndimage.label(binary & ~part)
    if count:
        left_out = np.bincount(labels.ravel())[1:]
        separate = int((left_out >= SEPARATE_PART * part.sum()).sum())
        if separate:
            return part, SEVERAL_PARTS_WARNING.format(parts=separate + 1)
    share = float(part.mean())
    if judge_frame and share < MIN_SUBJECT_SHARE:
        return part, TINY_WARNING.format(share=share)
    return part, None


def _joined(binary: BoolArray) -> BoolArray:
    """Return the largest part, bridged to the parts within ``JOIN_GAP`` of it."""
    from scipy import ndimage

    labels, count = ndimage.label(binary)
    largest: BoolArray = np.asarray(labels == np.bincount(labels.ravel())[1:].argmax() + 1)
    if count == 1:
        return largest
    reach = max(1, round(JOIN_GAP * max(binary.shape) / 2))
    closed = ndimage.binary_closing(binary, iterations=reach) | binary
    closed_labels, _ = ndimage.label(closed)
    joined: BoolArray = np.asarray(closed_labels == closed_labels[largest][0])
    # The closing also rounds off concave corners narrower than the gap: only when a
    # part was joined is that worth it.
    return joined if (binary & joined & ~largest).any() else largest


def _fills_frame(binary: BoolArray) -> bool:
    border = np.concatenate([binary[0], binary[-1], binary[1:-1, 0], binary[1:-1, -1]])
    return bool(binary.mean() > MAX_SUBJECT_SHARE or border.mean() > MAX_BORDER_SHARE)


def _whole_frame(shape: tuple[int, ...]) -> BoolArray:
    frame = np.zeros(shape, dtype=bool)
    frame[1:-1, 1:-1] = True
    return frame


def _border_band(height: int, width: int, share: float) -> BoolArray:
    band = max(2, round(share * min(height, width)))
    border = np.zeros((height, width), dtype=bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
    return border


def _border_background(rgb: FloatArray) -> tuple[FloatArray, BoolArray, float] | None:
    """Fit a smooth background to the border; return it, the border and the border's spread.

    None when most of the border disagrees with any smooth model.
    """
    height, width = rgb.shape[:2]
    border = _border_band(height, width, 0.02)
    basis = _background_basis(height, width)
    samples = rgb[border]
    sample_basis = basis[border.ravel()]
    # Start from the median colour, which a subject touching the edge cannot drag, then
    # refit the smooth model to the border pixels that agree with it.
    fitted = np.broadcast_to(np.median(samples, axis=0), samples.shape)
    for _ in range(4):
        residual = np.linalg.norm(samples - fitted, axis=1)
        sigma = 1.4826 * float(np.median(residual)) + 1e-3
        keep = residual < max(3.0 * sigma, 0.03)
        coefs, *_ = np.linalg.lstsq(sample_basis[keep], samples[keep], rcond=None)
        fitted = sample_basis @ coefs
    if keep.mean() < 0.3:
        return None
    background = (basis @ coefs).reshape(height, width, 3)
    spread = 1.4826 * float(np.median(_colour_distance(rgb, background)[border])) + 1e-3
    return background, border, spread


def _foreground_on_plain(
    rgb: FloatArray, background: FloatArray, border: BoolArray, border_spread: float
) -> BoolArray:
    """Mark pixels that differ from the plain background, leaving its soft shadows out."""
    from scipy import ndimage

    distance = _colour_distance(rgb, background)
    distance[_soft_shadow(rgb, background)] = 0.0
    low = 4.0 * border_spread + 0.03
    high = max(_otsu(distance), low)
    # Hysteresis: confident seeds grow through faint pixels (a cream band on a white mug)
    # without letting faint specks elsewhere in.
    labels, _ = ndimage.label(distance > low)
    seeds = np.unique(labels[(distance > high) & (labels > 0)])
    return np.isin(labels, seeds[seeds > 0])


def _soft_shadow(rgb: FloatArray, background: FloatArray) -> BoolArray:
    """Mark soft shadows: background darkened without a change of hue, fading out gently.

    An object is told from a shadow by its edge: where a dark, neutral region meets
    the background, an object's brightness steps within a pixel or two, a contact
    shadow's fades over many. Each dark neutral region whose outer edge is soft
    is a shadow; one whose edge is sharp (a grey box) stays a candidate subject.
    """
    from scipy import ndimage

    lum_rgb = rgb.mean(axis=2) + 0.02
    lum_bg = np.clip(background, 0.0, 1.0).mean(axis=2) + 0.02
    ratio = np.log(lum_rgb / lum_bg)
    chroma = rgb / lum_rgb[..., None] - background / lum_bg[..., None]
    hue = np.linalg.norm(chroma, axis=2) * np.minimum(lum_rgb, lum_bg)
    smooth_ratio = ndimage.gaussian_filter(ratio, 1.0)
    # Dark but not black (a shadow on a pale table keeps some light), and the same hue.
    dark = (smooth_ratio < -0.08) & (smooth_ratio > np.log(SHADOW_DARKEST)) & (hue < 0.05)
    labels, count = ndimage.label(dark)
    if count == 0:
        return np.zeros(dark.shape, dtype=bool)
    # How deep the region is a few pixels in from plain background, against its full
    # depth: an object's edge is there at once (about 1), a soft shadow has barely begun.
    plain = np.abs(smooth_ratio) < 0.04
    inward = ndimage.distance_transform_edt(~plain)
    near = dark & (inward >= EDGE_DEPTH_PIXELS[0]) & (inward <= EDGE_DEPTH_PIXELS[1])
    shadow = np.zeros(count + 1, dtype=bool)
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        if region is None:
            continue
        own = labels[region] == index
        rim = own & near[region]
        if rim.sum() < 8:
            continue
        depth = float(np.percentile(-smooth_ratio[region][own], 90))
        reached = float(np.median(-smooth_ratio[region][rim])) / max(depth, 1e-3)
        shadow[index] = reached < SHADOW_EDGE_REACHED
    return np.asarray(shadow[labels], dtype=bool)


def _colour_distance(rgb: FloatArray, background: FloatArray) -> FloatArray:
    """Measure how unlike the background each pixel is: in lightness and in hue."""
    lum_rgb = rgb.mean(axis=2) + 0.02
    lum_bg = np.clip(background, 0.0, 1.0).mean(axis=2) + 0.02
    ratio = np.log(lum_rgb / lum_bg)
    # Darkening counts in full: soft shadows are taken out by their edge
    # (``_soft_shadow``), so a grey box darker than its table is still found.
    lightness = ratio
    chroma = rgb / lum_rgb[..., None] - background / lum_bg[..., None]
    hue = 2.0 * np.linalg.norm(chroma, axis=2) * np.minimum(lum_rgb, lum_bg)
    return np.asarray(np.sqrt(lightness**2 + hue**2), dtype=np.float64)


def _background_basis(height: int, width: int) -> FloatArray:
    """Quadratic polynomial basis over the image, so gradients and vignettes fit."""
    y, x = np.mgrid[0:height, 0:width]
    x = x.ravel() / max(width - 1, 1) - 0.5
    y = y.ravel() / max(height - 1, 1) - 0.5
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


def _otsu(values: FloatArray) -> float:
    top = float(np.percentile(values, 99.5)) + 1e-6
    counts, edges = np.histogram(values, bins=256, range=(0.0, top))
    centres = 0.5 * (edges[:-1] + edges[1:])
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(counts * centres)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(centres[int(np.argmax(between))])


def _open(binary: BoolArray) -> BoolArray:
    """Break one-pixel bridges and specks, unless that takes most of the shape."""
    from scipy import ndimage

    opened = ndimage.binary_opening(binary)
    return opened if opened.sum() >= 0.5 * binary.sum() else binary


def _fill_holes(binary: BoolArray, *, small_only: bool) -> BoolArray:
    """Fill the part's small holes (noise); real holes (a mug handle) stay open."""
    from scipy import ndimage

    holes = ndimage.binary_fill_holes(binary) & ~binary
    hole_labels, hole_count = ndimage.label(holes)
    if hole_count:
        hole_areas = np.bincount(hole_labels.ravel())
        limit = MAX_FILLED_HOLE * binary.sum() if small_only else 4
        small_holes = np.flatnonzero(hole_areas <= limit)
        binary = binary | (np.isin(hole_labels, small_holes) & holes)
    return binary
