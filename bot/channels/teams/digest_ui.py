"""The morning digest's controls in Teams: the digest card's buttons ("Ask about this deal", "Mute
this deal", "Change time" with its form) and, in the personal chat, "digest [on|off|preview|unmute]"
with the settings card (what Slack's /ccobot digest and App Home do). Deal look-ups and mutes go
through bot/digest/deal.py, as Slack's buttons do; settings through the same Subscriptions.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Awaitable, Callable
from zoneinfo import ZoneInfo

import anyio.to_thread
from microsoft_agents.activity import Activity, ActivityTypes, Attachment
from microsoft_agents.hosting.core import TurnContext, TurnState

from bot.access import Identity, identify
from bot.channels.teams.cards import CONTENT_TYPE, digest_card, settings_card
from bot.core.i18n import LANGS, t
from bot.digest.content import todays_digest
from bot.digest.deal import about_deal, mute_deal
from bot.digest.render import days_text
from bot.digest.subscriptions import (Subscription, SubscriptionError, Subscriptions, language_of, parse_days,
                                      parse_time, zone_of)

if TYPE_CHECKING:
    from bot.channels.teams.bot import TeamsBot

Handler = Callable[[TurnContext, TurnState, object], Awaitable[None]]


class DigestUI:
    def __init__(self, bot: TeamsBot) -> None:
        self.bot = bot

    def buttons(self) -> dict[str, Handler]:
        """The digest's button verbs and their handlers (registered by the bot as Universal Actions
        and read from Action.Submit messages)."""
        return {"digest_ask": self.ask, "digest_mute": self.mute, "digest_settings": self.save_settings,
                "digest_subscribe": self.subscribe, "digest_preview": self.preview}

    @property
    def store(self):  # noqa: ANN201 (the store as it is now: it reloads when its files change)
        return self.bot.assistant.engine.store

    async def ask(self, context: TurnContext, state: TurnState, data: object) -> None:
        """"Ask about this deal": the deal's row, if the person may see it."""
        who, lang = await self._rep(context, data, settings=False)
        if who is None:
            return
        user = context.activity.from_property.id if context.activity.from_property else ""
        answer = await anyio.to_thread.run_sync(about_deal, self.bot.assistant, user, who, deal_of(data), lang)
        if answer.kind != "deals":  # gone, or not theirs to see
            return await self.bot.say(context, answer.text)
        await self.bot.deliver(context, answer)

    async def mute(self, context: TurnContext, state: TurnState, data: object) -> None:
        """"Mute this deal": left out of this person's digests from now on."""
        who, lang = await self._rep(context, data)
        if who is None:
            return
        subs = Subscriptions(self.bot.state)

        def mute() -> str:
            save = partial(subs.update, self.store, who.rep_id)
            return mute_deal(self.bot.assistant.engine, subs.get(self.store, who.rep_id), who, deal_of(data), lang,
                             save, words="teams_digest_muted")

        await self.bot.say(context, await anyio.to_thread.run_sync(mute))

    async def save_settings(self, context: TurnContext, state: TurnState, data: object) -> None:
        """The "Change time" form: the time and the days, checked like the Slack modal's, and the
        muted deals left ticked."""
        who, lang = await self._rep(context, data)
        if who is None:
            return
        data = data if isinstance(data, dict) else {}
        try:
            local_time = parse_time(str(data.get("time") or ""))
        except SubscriptionError:
            return await self.bot.say(context, t("digest_ui_pick_time", lang))
        try:  # what a client sends is input like any other: only real days are kept
            days = parse_days(str(data.get("days") or "")) if data.get("days") else ""
        except SubscriptionError:
            days = ""
        if not days:
            return await self.bot.say(context, t("digest_ui_no_days", lang))
        subs = Subscriptions(self.bot.state)

        def save() -> Subscription:
            changes: dict = {"local_time": local_time, "days": days}
            # Unticked among the muted deals the form listed: brought back. Deals muted since the
            # card was sent were not listed, and stay muted.
            listed = set(filter(None, str(data.get("listed") or "").split(",")))
            unticked = listed - set(str(data.get("muted") or "").split(","))
            if unticked:
                changes["muted"] = tuple(m for m in subs.get(self.store, who.rep_id).muted if m not in unticked)
            return subs.update(self.store, who.rep_id, **changes)

        sub = await anyio.to_thread.run_sync(save)
        await self.bot.say(context, t("digest_ui_settings_saved", lang, time=sub.local_time,
                                      days=days_text(sub.days, lang)))

    async def command(self, context: TurnContext, verb: str) -> None:
        """"digest [on|off|preview|unmute]" in the personal chat: the settings card, after doing what
        was asked. Not in a room: they are one person's."""
        from bot.channels.teams.bot import in_private

        if not in_private(context.activity):
            return await self.bot.say(context, t("teams_ask_privately", "en"))
        who, _ = await self._rep(context, None)
        if who is None:
            return
        if verb == "preview":
            return await self.preview(context, None, {})
        changes = {"on": {"active": True}, "off": {"active": False}, "unmute": {"muted": ()}}.get(verb, {})
        said = {"on": "digest_ui_subscribed", "off": "digest_ui_unsubscribed", "unmute": "digest_ui_unmuted"}.get(verb)
        await self._settings(context, who, changes, said)

    async def subscribe(self, context: TurnContext, state: TurnState, data: object) -> None:
        """The settings card's Subscribe / Unsubscribe."""
        who, _ = await self._rep(context, data)
        if who is None:
            return
        on = bool(data.get("on")) if isinstance(data, dict) else True
        await self._settings(context, who, {"active": on}, "digest_ui_subscribed" if on else "digest_ui_unsubscribed")

    async def preview(self, context: TurnContext, state: TurnState | None, data: object) -> None:
        """Today's digest for this person, as the scheduler would send it (muted deals left out)."""
        who, _ = await self._rep(context, data)
        if who is None:
            return

        def build() -> dict:
            store = self.store
            sub = Subscriptions(self.bot.state).get(store, who.rep_id)
            digest = todays_digest(self.bot.assistant.engine, self.bot.assistant.narrator, sub,
                                   language_of(store, sub), ZoneInfo(self._zone(sub)))
            return digest_card(digest, store.fiscal_year_start_month, sub)

        card = await anyio.to_thread.run_sync(build)
        await context.send_activity(Activity(type=ActivityTypes.message, summary=card["fallbackText"][:200],
                                             attachments=[Attachment(content_type=CONTENT_TYPE, content=card)]))

    async def _settings(self, context: TurnContext, who: Identity, changes: dict, said: str | None) -> None:
        """Save `changes` (if any) and answer with the settings card, `said` above it."""
        subs = Subscriptions(self.bot.state)
        sub = await anyio.to_thread.run_sync(
            lambda: subs.update(self.store, who.rep_id, **changes) if changes else subs.get(self.store, who.rep_id))
        lang = language_of(self.store, sub)
        card = settings_card(sub, self._zone(sub), lang, t(said, lang) if said else None)
        await context.send_activity(Activity(type=ActivityTypes.message, summary=t("digest_ui_settings_title", lang),
                                             attachments=[Attachment(content_type=CONTENT_TYPE, content=card)]))

    def _zone(self, sub: Subscription) -> str:
        """Where the person's mornings are: the reps table's zone, else the one their Teams client gave."""
        references = self.bot.references
        ref = references.get(sub.rep_id) if references is not None else None
        if not sub.tz and ref is not None and ref.timezone:
            sub = replace(sub, tz=ref.timezone)
        return str(zone_of(self.store, sub))

    async def _rep(self, context: TurnContext, data: object, settings: bool = True) -> tuple[Identity | None, str]:
        """The person pressing, as a rep, and their language; None (and they are told why) when they
        are matched to no rep or, for their `settings`, there is no state database to keep them in."""
        lang = lang_of(data)
        who = identify(self.store, await self.bot.asker(context))
        if not who.matched or not who.rep_id or (settings and self.bot.state is None):
            await self.bot.say(context, t("digest_ui_not_rep", lang))
            return None, lang
        return who, lang


def lang_of(data: object) -> str:
    lang = data.get("lang") if isinstance(data, dict) else None
    return lang if lang in LANGS else "en"


def deal_of(data: object) -> str:
    return str(data.get("deal") or "")[:200] if isinstance(data, dict) else ""
