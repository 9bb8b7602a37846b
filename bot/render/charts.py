"""Charts for the performance reports: PNGs drawn by matplotlib's Agg backend.

Figures are built with `matplotlib.figure.Figure` and rendered by `FigureCanvasAgg` directly,
never through pyplot, so no global figure state is shared between the threads that render
reports after Slack's acknowledgement; matplotlib does not promise thread safety for the rest
(its font and text caches), so drawing is serialised by a lock.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

RAG_COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", None: "#e0e0e0", "future": "#fafafa"}
RAG_LABELS = {"green": "G", "amber": "A", "red": "R", None: "–", "future": ""}
BAR_COLOURS = {"raised": "#1d4f91", "completed": "#2e7d32", "overdue": "#c62828"}
_DRAWING = threading.Lock()


def _wrap(text: str, width: int = 38, lines: int = 2) -> str:
    wrapped = textwrap.wrap(str(text), width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1] + "…"
    return "\n".join(wrapped)


def _draw_rag_grid(ax: Any, quarters: list[str], items: list[dict[str, Any]]) -> None:
    """One row per item, one column per quarter, each cell coloured by its RAG status."""
    ax.set_title("RAG status, last four quarters", loc="left", fontsize=11, fontweight="bold")
    if not items:
        ax.text(0.5, 0.5, "No outcomes or projects are tracked yet.", ha="center", va="center", fontsize=9)
        ax.set_axis_off()
        return
    rows = len(items)
    for r, item in enumerate(items):
        y = rows - 1 - r
        for c, rag in enumerate(item["rags"]):
            ax.add_patch(Rectangle((c, y), 0.94, 0.88, facecolor=RAG_COLOURS.get(rag, RAG_COLOURS[None]),
                                   edgecolor="white"))
            ax.text(c + 0.47, y + 0.44, RAG_LABELS.get(rag, "–"), ha="center", va="center", fontsize=8,
                    color="white" if rag in ("green", "red") else "#333333")
    ax.set_xlim(0, len(quarters))
    ax.set_ylim(0, rows)
    ax.set_xticks([c + 0.47 for c in range(len(quarters))], quarters, fontsize=8)
    ax.set_yticks([rows - 1 - r + 0.44 for r in range(rows)], [_wrap(i["name"]) for i in items], fontsize=7)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.legend(handles=[Patch(color=RAG_COLOURS[k], label=k.capitalize() if k else "No return")
                       for k in ("green", "amber", "red", None)],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def _draw_partner_actions(ax: Any, partners: list[dict[str, Any]]) -> None:
    """Grouped horizontal bars: actions raised, completed and overdue per partner organisation."""
    ax.set_title("Actions by partner organisation", loc="left", fontsize=11, fontweight="bold")
    if not partners:
        ax.text(0.5, 0.5, "No actions in this period.", ha="center", va="center", fontsize=9)
        ax.set_axis_off()
        return
    height = 0.26
    names = [_wrap(p["organisation"], 30, 1) for p in partners]
    positions = list(range(len(partners)))[::-1]
    for k, key in enumerate(("raised", "completed", "overdue")):
        values = [int(p.get(key, 0)) for p in partners]
        bars = ax.barh([y + (1 - k) * height for y in positions], values, height=height,
                       color=BAR_COLOURS[key], label=key.capitalize())
        for bar, value in zip(bars, values, strict=True):
            if value:
                ax.text(bar.get_width() + 0.05, bar.get_y() + height / 2, str(value), va="center", fontsize=7)
    ax.set_yticks(positions, names, fontsize=7)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def performance_chart(data: dict[str, Any]) -> bytes:
    """RAG per item over four quarters above actions per partner: `title`, `quarters`, `items`, `partners`."""
    items = data.get("items", [])
    partners = data.get("partners", [])
    top = max(1.2, 0.32 * len(items) + 0.9)
    bottom = max(1.2, 0.55 * len(partners) + 0.9)
    fig = Figure(figsize=(8.5, top + bottom + 0.8), dpi=110)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=[top, bottom], hspace=0.35)
    fig.suptitle(data.get("title", "Performance"), x=0.02, ha="left", fontsize=12)
    _draw_rag_grid(fig.add_subplot(grid[0]), list(data.get("quarters", [])), items)
    _draw_partner_actions(fig.add_subplot(grid[1]), partners)
    fig.subplots_adjust(left=0.32, right=0.84, top=1 - 0.55 / (top + bottom + 0.8), bottom=0.06)
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


CHARTS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "performance": performance_chart,
}


def draw(kind: str, data: dict[str, Any]) -> bytes:
    """The PNG of a chart kind."""
    chart = CHARTS.get(kind)
    if chart is None:
        raise ValueError(f"unknown chart kind {kind!r}")
    with _DRAWING:
        return chart(data)
