"""A chart when a picture says it better: a line over months or quarters, bars for a breakdown.

Charts are posted on request: the Chart button on an answer that `chartable`, or at once when
the question itself asks for one (`asked_for`). A chart is an image, so its words are plain text
(never Slack-escaped: "UK & Ireland", not "UK &amp; Ireland").
"""

from __future__ import annotations

import io
import re

from bot.core.answer import Answer
from bot.core.i18n import country_name, t

TIME_DIMS = ("month", "quarter")
MAX_BARS = 20  # a bar chart of the top 20 reads; of 900 it does not
# "chart", "graph", "plot", "diagram" (en); "graf", "diagram" (da, sv); with their inflections
# ("charts", "plotted", "grafen", "diagrammer", "diagrammet", "diagrammen").
ASKS_FOR_CHART = re.compile(r"\b(?:chart|graph|plot|diagram|graf)\w*", re.IGNORECASE)


def asked_for(answer: Answer) -> bool:
    """The question itself asks for a chart ("revenue by month as a chart", "vis en graf …")."""
    return bool(ASKS_FOR_CHART.search(answer.question or ""))


def chartable(answer: Answer) -> bool:
    """A chart can be drawn for the answer, or for one of its parts (cheap: nothing is drawn)."""
    return _chart_part(answer) is not None


def chart_title(answer: Answer) -> str:
    """What the chart shows, as plain text: the headline without its figures
    ("Revenue, this year (2026-01-01 to 2026-11-20), by month")."""
    part = _chart_part(answer) or answer
    head = part.summary or part.text
    return head.split(": ", 1)[0].strip()[:200]


def chart_png(answer: Answer) -> bytes | None:
    """PNG bytes for a time series or a breakdown of three or more groups, else None."""
    part = _chart_part(answer)
    if part is None:
        return None
    import matplotlib  # imported here: deciding whether a chart can be drawn must stay cheap

    matplotlib.use("Agg")  # no screen: render to PNG bytes
    import matplotlib.pyplot as plt

    rows = _points(part)
    labels = [_plain(_label(r, part)) for r in rows]
    values = [r["value"] * (100 if part.unit == "ratio" else 1) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    if part.group_by[0] in TIME_DIMS:
        ax.plot(labels, values, marker="o", color="#2e6fd8")
        ax.tick_params(axis="x", rotation=45)
    else:
        ax.barh(labels[::-1], values[::-1], color="#2e6fd8")
    ax.set_title(_plain(chart_title(part))[:90], fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _chart_part(answer: Answer) -> Answer | None:
    """The first part (or the answer itself) that makes a chart: one KPI over one dimension, with
    two points in time or three groups."""
    for part in answer.parts or [answer]:
        if part.kind == "kpi" and len(part.group_by) == 1 and len(_points(part)) >= \
                (2 if part.group_by[0] in TIME_DIMS else 3):
            return part
    return None


def _points(part: Answer) -> list[dict]:
    rows = [r for r in part.rows if r.get("value") is not None]
    return rows if part.group_by and part.group_by[0] in TIME_DIMS else rows[:MAX_BARS]


def _label(row: dict, part: Answer) -> str:
    dim = part.group_by[0]
    value = row.get(f"{dim}_name") or row.get(dim)
    if value is None:
        return t("none_label", part.lang)
    return country_name(str(value), part.lang) if dim == "country" else str(value)


def _plain(text: str) -> str:
    """Text as matplotlib shows it literally: a '$' would start mathtext ("US$1,000 … US$2,000")."""
    return text.replace("$", r"\$")
