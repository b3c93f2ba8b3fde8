"""Geometry of the server-drawn SVG charts (forest plot, trend line, side-balance bar).

Plain numbers in, coordinates out; templates draw them with SVG presentation attributes only
(the CSP forbids inline styles and scripts).
"""

from __future__ import annotations

from dataclasses import dataclass

PALETTE = ("#1f5fbf", "#c62828", "#2e7d32", "#8e24aa", "#ef6c00", "#00838f", "#6d4c41", "#546e7a")


@dataclass(frozen=True)
class ForestRow:
    label: str
    url: str
    y: float
    score: float | None
    low: float | None
    high: float | None
    x_score: float | None
    x_low: float | None
    x_high: float | None


def scale(value: float, low: float, high: float, start: float, end: float) -> float:
    """Map value in [low, high] linearly to [start, end], clamped."""
    value = min(max(value, low), high)
    return round(start + (value - low) / (high - low) * (end - start), 2)


def forest_plot(
    rows: list[tuple[str, str, float | None, float | None, float | None]],
    *,
    left: int = 180,
    width: int = 640,
    row_height: int = 22,
) -> dict:
    """rows: (label, url, score, low, high) on the 0-100 scale. Returns the SVG size, axis ticks
    (with room below them for the axis title) and one positioned row per outlet (x_* None where
    there is no score)."""
    right = width - 20
    placed = []
    for i, (label, url, score, low, high) in enumerate(rows):
        y = 20 + i * row_height + row_height / 2
        placed.append(
            ForestRow(
                label=label,
                url=url,
                y=y,
                score=score,
                low=low,
                high=high,
                x_score=None if score is None else scale(score, 0, 100, left, right),
                x_low=None if low is None else scale(low, 0, 100, left, right),
                x_high=None if high is None else scale(high, 0, 100, left, right),
            )
        )
    axis_y = 20 + len(rows) * row_height + 4
    height = axis_y + 40
    ticks = [{"value": v, "x": scale(v, 0, 100, left, right)} for v in range(0, 101, 20)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "rows": placed,
        "ticks": ticks,
        "axis_y": axis_y,
        "tick_label_y": axis_y + 14,
        "axis_title_x": round((left + right) / 2, 2),
        "axis_title_y": axis_y + 32,
        "label_x": left - 8,
    }


def trend_line(
    points: list[tuple[str, float | None]], *, width: int = 640, height: int = 220, max_labels: int = 6
) -> dict:
    """points: (label, score 0-100 or None), in time order. Returns the polyline, the dots (each
    with `show_label`: at most `max_labels` x labels, the first and last always; and the label's
    `anchor`: "end" for the last of several points, else "middle"), the y grid, the
    axis title positions and `has_line`: False when fewer than two points have a score (no line
    to draw: the page shows a sentence instead of an empty chart). None scores are gaps."""
    # Room on the left for the y labels and title and the first label (centred on its point),
    # below for the x labels and title.
    left, right, top, bottom = 56, width - 40, 10, height - 48
    step = (right - left) / max(len(points) - 1, 1)
    every = max(1, -(-len(points) // max_labels))  # ceil
    dots = []
    for i, (label, value) in enumerate(points):
        x = round(left + i * step if len(points) > 1 else (left + right) / 2, 2)
        y = None if value is None else scale(value, 0, 100, bottom, top)
        show = i % every == 0 or i == len(points) - 1
        # The last label ends at its point: centred, a long one (a run date with its time) ran
        # past the right margin and was cut off.
        anchor = "end" if len(points) > 1 and i == len(points) - 1 else "middle"
        dots.append({"label": label, "value": value, "x": x, "y": y, "show_label": show, "anchor": anchor})
    line = " ".join(f"{d['x']},{d['y']}" for d in dots if d["y"] is not None)
    grid = [{"value": v, "y": scale(v, 0, 100, bottom, top)} for v in (0, 25, 50, 75, 100)]
    return {
        "width": width,
        "height": height,
        "dots": dots,
        "line": line,
        "has_line": sum(d["y"] is not None for d in dots) >= 2,
        "grid": grid,
        "left": left,
        "right": right,
        "bottom": bottom,
        "label_y": bottom + 16,
        "x_title_x": round((left + right) / 2, 2),
        "x_title_y": height - 6,
        "y_title_x": 14,
        "y_title_y": round((top + bottom) / 2, 2),
        "grid_label_x": left - 6,
    }


def side_bar(counts: dict[str, int], *, width: int = 640, height: int = 28) -> dict:
    """counts: attributions per side. Returns one coloured segment per side, widest first, and
    0 / 50 / 100 % ticks below the bar (the SVG is `height` + 18 tall)."""
    total = sum(counts.values())
    segments, x = [], 0.0
    for i, (side, count) in enumerate(sorted(counts.items(), key=lambda item: (-item[1], item[0]))):
        share = count / total if total else 0
        segments.append(
            {
                "side": side,
                "count": count,
                "share": share,
                "x": round(x, 2),
                "width": round(share * width, 2),
                "fill": PALETTE[i % len(PALETTE)],
            }
        )
        x += share * width
    ticks = [{"value": v, "x": round(v / 100 * width, 2)} for v in (0, 50, 100)]
    return {
        "width": width,
        "height": height,
        "svg_height": height + 18,
        "segments": segments,
        "total": total,
        "ticks": ticks,
    }
