"""A digest's deal buttons, for every face: "Ask about this deal" and "Mute this deal".

The assistant has no question for one deal by id, so the deal's row (names, owner, stage, amount,
close date, why it needs attention) comes from the store, through the same access rule as a deal
list: the person must see the deal's owner at deal level. Either way the look-up is audited with
ids only, like any answer or denial.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from bot.access import Identity
from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.core.fmt import deal_line
from bot.core.i18n import t
from bot.digest.render import day
from bot.digest.subscriptions import Subscription
from bot.metrics.deals import deal_rows
from bot.metrics.engine import Engine
from bot.metrics.store import positions
from bot.metrics.warehouse_deals import deal_store


def deal_row(engine: Engine, opportunity_id: str) -> dict | None:
    """One deal as a deal-list row (names, owner, stage, amount, close date, risk reasons), or None."""
    as_of = engine.as_of()
    store = deal_store(engine, opportunity_id, as_of)  # from a warehouse: that deal alone
    pos = positions(store.deals["opportunity_id"], pd.Series([opportunity_id]))
    if pos[0] < 0:
        return None
    return deal_rows(store, engine.catalog, np.asarray(pos), as_of, with_reasons=True)[0]


def may_see_deal(who: Identity, row: dict) -> bool:
    return who.sees_all or row["owner_id"] in (who.deal_level() or frozenset())


def about_deal(assistant: Assistant, user_id: str, who: Identity, opportunity_id: str, lang: str) -> Answer:
    """The deal as an answer (a deal list of one), or words saying it is gone or not theirs."""
    engine = assistant.engine
    row = deal_row(engine, opportunity_id) if opportunity_id else None
    if row is None:
        return Answer(question=f"deal {opportunity_id}", kind="help", lang=lang, text=t("digest_ui_deal_gone", lang))
    allowed = may_see_deal(who, row)
    if assistant.audit is not None:  # ids, never the deal's figures
        assistant.audit.write(user_id=user_id, rep_id=who.rep_id, kind="deals" if allowed else "denied",
                              question=f"deal {row['opportunity_id']}", query={"opportunity_id": row["opportunity_id"]},
                              scope={"role": who.role, "owners": [row["owner_id"]]})
    if not allowed:
        return Answer(question=f"deal {opportunity_id}", kind="denied", lang=lang, text=t("digest_ui_deal_denied", lang))
    name = row["name"] or row["opportunity_id"]
    head = t("digest_ui_deal_head", lang, name=name, date=day(engine.as_of(), lang))
    return Answer(question=f"deal {row['opportunity_id']}", kind="deals", lang=lang, summary=head,
                  text=f"{head}\n• {deal_line(row, lang)}", unit="count", currency=row["currency"], value=1.0,
                  rows=[row])


def mute_deal(engine: Engine, sub: Subscription, who: Identity, opportunity_id: str, lang: str,
              save: Callable[..., Subscription], words: str = "digest_ui_muted") -> str:
    """Leave the deal out of this person's digests from now on (`save(muted=…)`, the face's way of
    changing settings); the words that say so (`words`: how the face brings it back). The deal's
    name is shown only to someone who may see it: an id from a button is not proof of that."""
    row = deal_row(engine, opportunity_id) if opportunity_id else None
    if opportunity_id and opportunity_id not in sub.muted:
        save(muted=(*sub.muted, opportunity_id))
    name = (row["name"] or opportunity_id) if row and may_see_deal(who, row) else opportunity_id
    return t(words, lang, deal=name)
