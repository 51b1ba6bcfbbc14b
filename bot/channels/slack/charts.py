"""A chart when a picture says it better: a line over months or quarters, bars for a breakdown."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no screen: render to PNG bytes

import matplotlib.pyplot as plt  # noqa: E402

from bot.core.answer import Answer  # noqa: E402
from bot.core.fmt import row_label  # noqa: E402


def chart_png(answer: Answer) -> bytes | None:
    """PNG bytes for a time series or a breakdown of three or more groups, else None."""
    if answer.kind != "kpi" or not answer.rows or len(answer.group_by) != 1:
        return None
    over_time = answer.group_by[0] in ("month", "quarter")
    rows = [r for r in answer.rows if r["value"] is not None]
    rows = rows if over_time else rows[:20]  # a bar chart of the top 20 reads; of 900 it does not
    if len(rows) < (2 if over_time else 3):
        return None
    labels = [row_label(r, answer.group_by, answer.lang) for r in rows]
    values = [r["value"] * (100 if answer.unit == "ratio" else 1) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    if over_time:
        ax.plot(labels, values, marker="o", color="#2e6fd8")
        ax.tick_params(axis="x", rotation=45)
    else:
        ax.barh(labels[::-1], values[::-1], color="#2e6fd8")
    ax.set_title((answer.summary or answer.text)[:90], fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
