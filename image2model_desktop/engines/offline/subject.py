"""The offline engine's first step: tell the photo's subject from its background.

The alpha channel when the photo has real transparency; otherwise the pixels
that differ from a smooth background model fitted to the border, without the
soft shadows the subject casts on it. A subject that does not stand out (or a
busy scene) still gives a mask, with a warning for the person.
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
NO_SUBJECT_WARNING = (
    "No subject stood out from the background, so the model is the whole photo; "
    "a photo of the object on a plain background works best."
)
BUSY_WARNING = (
    "The subject could not be told apart from a busy background, so the model is "
    "most of the photo; a photo of the object on a plain background works best."
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

    The warning is a sentence for the person when no subject was told from the
    background: none stood out, or the "subject" is most of the frame or of its
    border (a busy background). The model is still made, from the whole frame.
    """
    from scipy import ndimage

    alpha = small[..., 3]
    has_alpha = (alpha < 0.5).mean() > 0.002 and (alpha >= 0.5).mean() > 0.002
    binary = alpha >= 0.5 if has_alpha else _foreground_by_border(small[..., :3])
    binary = _clean(binary, fill_small_holes=not has_alpha)
    warning = None if has_alpha else _whole_frame_warning(binary)
    if binary.sum() < max(16, 0.001 * binary.size):
        binary = _whole_frame(binary.shape)
        warning = NO_SUBJECT_WARNING
    smooth: FloatArray = ndimage.gaussian_filter(binary.astype(np.float64), 1.0)
    # Smoothing erases hairlines; keep the raw silhouette where it would vanish.
    return np.where(binary & (smooth < 0.5), 0.5 + 0.5 * binary, smooth), warning


def _whole_frame_warning(binary: BoolArray) -> str | None:
    border = np.concatenate([binary[0], binary[-1], binary[1:-1, 0], binary[1:-1, -1]])
    if binary.mean() > MAX_SUBJECT_SHARE or border.mean() > MAX_BORDER_SHARE:
        return BUSY_WARNING
    return None


def _whole_frame(shape: tuple[int, ...]) -> BoolArray:
    frame = np.zeros(shape, dtype=bool)
    frame[1:-1, 1:-1] = True
    return frame


def _foreground_by_border(rgb: FloatArray) -> BoolArray:
    """Mark pixels that differ from a smooth background fitted to the image border."""
    from scipy import ndimage

    height, width = rgb.shape[:2]
    band = max(2, round(0.02 * min(height, width)))
    border = np.zeros((height, width), dtype=bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
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
        return np.zeros((height, width), dtype=bool)
    background = (basis @ coefs).reshape(height, width, 3)
    distance = _colour_distance(rgb, background)
    distance[_soft_shadow(rgb, background)] = 0.0
    border_spread = 1.4826 * float(np.median(distance[border])) + 1e-3
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


def _clean(binary: BoolArray, *, fill_small_holes: bool) -> BoolArray:
    """Keep the main connected parts and fill small holes; real holes stay open."""
    from scipy import ndimage

    opened = ndimage.binary_opening(binary)
    if opened.sum() >= 0.5 * binary.sum():
        binary = opened
    labels, count = ndimage.label(binary)
    if count == 0:
        return binary
    areas = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(areas >= 0.2 * areas.max()) + 1
    binary = np.isin(labels, keep)
    holes = ndimage.binary_fill_holes(binary) & ~binary
    hole_labels, hole_count = ndimage.label(holes)
    if hole_count:
        hole_areas = np.bincount(hole_labels.ravel())
        limit = MAX_FILLED_HOLE * binary.sum() if fill_small_holes else 4
        small_holes = np.flatnonzero(hole_areas <= limit)
        binary = binary | (np.isin(hole_labels, small_holes) & holes)
    return binary
