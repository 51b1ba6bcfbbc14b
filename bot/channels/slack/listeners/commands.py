"""Slash commands: /kpi <question>, /playbook <question>, /ccobot help (commands scope), and
/ccobot digest … (the morning digest's settings and preview, contracts/digest.md).

`/ccobot digest` replies are ephemeral, in the person's language: their digest settings' language,
else their Slack locale, else the language of their time zone (bot/digest/subscriptions.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import Identity, identify
from bot.channels.slack.app import SlackBot
from bot.channels.slack.blocks import escape, render
from bot.channels.slack.digest_blocks import digest_message, settings_mrkdwn
from bot.digest.render import days_text
from bot.core.answer import Answer
from bot.core.i18n import LANGS, t
from bot.digest.content import scope_kind, todays_digest
from bot.digest.model import Digest
from bot.digest.subscriptions import Subscription, SubscriptionError, Subscriptions, language_of, parse_days, \
    parse_time, rep_value, zone_of
from bot.nlu.text import detect_language

log = logging.getLogger("ccobot.slack")
DIGEST = re.compile(r"^\s*digest\b", re.IGNORECASE)
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{8,})$")
CHANNEL_NAME = re.compile(r"^#([a-z0-9][a-z0-9_\-]{0,79})$")  # as typed when Slack does not escape the command
TO_DM = {"dm", "direct", "me", "im", "privat", "private", "direkte"}
ON = {"on", "yes", "true", "1", "til", "ja", "på"}
OFF = {"off", "no", "false", "0", "fra", "nej", "av"}
# Danish and Swedish day names as the English ones parse_days reads ("man-fre", "mån,ons,fre").
DAY_WORDS = {"hverdage": "weekdays", "vardagar": "weekdays", "alle": "daily", "alla": "daily",
             "man": "mon", "mån": "mon", "tir": "tue", "tis": "tue", "ons": "wed", "tor": "thu", "fre": "fri",
             "lør": "sat", "lör": "sat", "søn": "sun", "sön": "sun"}


def register(app: App, bot: SlackBot) -> None:
    def ack_now(ack, command: dict) -> None:  # noqa: ANN001
        ack()  # within 3 s; the answer follows through response_url

    def ask(command: dict, respond, client: WebClient) -> None:  # noqa: ANN001
        with bot.using(client):
            _reply(bot, command, respond, command.get("text") or "help")

    def ccobot(command: dict, respond, client: WebClient) -> None:  # noqa: ANN001
        with bot.using(client):
            text = command.get("text") or ""
            if DIGEST.match(text):
                return digest_command(bot, command, respond)
            _reply(bot, command, respond, text or "help")

    def playbook(command: dict, respond) -> None:  # noqa: ANN001
        question = bot.plain(command.get("text") or "")
        if bot.assistant.playbook is None or not question:
            return _reply(bot, command, respond, "help")
        lang = detect_language(question.lower(), question.lower().split())
        reply = bot.assistant.playbook.ask(question, lang)
        kind = "playbook" if reply.covered or reply.indexing else "not_covered"
        text, blocks = render(Answer(question=question, kind=kind, lang=lang, text=reply.text,
                                     citations=reply.citations))
        respond(text=text, blocks=blocks, response_type="in_channel" if reply.covered else "ephemeral")

    app.command("/kpi")(ack=ack_now, lazy=[ask])
    app.command("/playbook")(ack=ack_now, lazy=[playbook])
    app.command("/ccobot")(ack=ack_now, lazy=[ccobot])


def _reply(bot: SlackBot, command: dict, respond, question: str) -> None:  # noqa: ANN001
    try:
        answer = bot.answer(question, command["user_id"], command["channel_id"], None)
        text, blocks = render(answer)
        public = bot.everyone_may_see(answer, command["channel_id"], None, command["user_id"]) \
            and answer.kind in ("kpi", "playbook")
        respond(text=text, blocks=blocks, response_type="in_channel" if public else "ephemeral")
    except Exception as exc:  # noqa: BLE001 (the apology path: only to the asker, through response_url)
        respond(text=bot.apology(exc), response_type="ephemeral")


# ---------------------------------------------------------------- the person and their settings

@dataclass
class DigestUser:
    """A Slack user as the digest knows them: the rep they are, their settings, their language.
    Shared by the command, the App Home and the buttons."""

    bot: SlackBot
    user_id: str
    who: Identity
    sub: Subscription | None  # None: not a rep
    lang: str
    slack_lang: str | None  # the Slack locale's language, when Slack gives one

    @classmethod
    def of(cls, bot: SlackBot, user_id: str) -> "DigestUser":
        store = bot.assistant.engine.store
        who = identify(store, bot.asker(user_id))
        locale = str(_person(bot, user_id).get("locale") or "")
        slack_lang = (locale[:2] if locale[:2] in LANGS else "en") if locale else None
        sub = Subscriptions(bot.state).get(store, who.rep_id) if who.matched and who.rep_id else None
        if sub is not None and sub.lang in LANGS:
            lang = sub.lang
        else:
            lang = slack_lang or (language_of(store, sub) if sub is not None else "en")
        return cls(bot, user_id, who, sub, lang, slack_lang)

    @property
    def matched(self) -> bool:
        return self.sub is not None

    @property
    def store(self):  # noqa: ANN201
        return self.bot.assistant.engine.store

    @property
    def zone(self) -> str:
        return str(zone_of(self.store, self.sub)) if self.sub else "UTC"

    def save(self, **changes: object) -> Subscription:
        """Change the settings. The first change also keeps the person's Slack language, and their
        Slack time zone when the reps table gives none, so the digest comes as Slack shows them."""
        assert self.sub is not None
        extra: dict[str, object] = {}
        if self.sub.lang is None and self.slack_lang:
            extra["lang"] = self.slack_lang
        if not rep_value(self.store, self.sub.rep_id, "timezone"):
            tz = _person(self.bot, self.user_id).get("tz")
            if tz and tz != self.sub.tz:
                extra["tz"] = str(tz)
        self.sub = Subscriptions(self.bot.state).update(self.store, self.sub.rep_id, **(extra | changes))
        return self.sub

    def settings(self) -> str:
        """The current settings as mrkdwn."""
        assert self.sub is not None
        return settings_mrkdwn(self.sub, self.zone, self.lang)

    def preview(self) -> Digest:
        """The digest this person would get today (the store's as_of, else today where they are),
        muted deals left out, as the scheduler sends it."""
        assert self.sub is not None
        return todays_digest(self.bot.assistant.engine, self.bot.assistant.narrator, self.sub, self.lang,
                             zone_of(self.store, self.sub))

    def preview_message(self) -> tuple[str, list[dict]]:
        return digest_message(self.preview(), self.store.fiscal_year_start_month)


def _person(bot: SlackBot, user_id: str) -> dict:
    """users.info for the person (SlackBot caches it), {} when Slack does not say."""
    try:
        return bot.person(user_id) or {}
    except Exception:  # noqa: BLE001 (a nicety: the language and zone fall back)
        return {}


# ---------------------------------------------------------------- /ccobot digest …

def digest_command(bot: SlackBot, command: dict, respond) -> None:  # noqa: ANN001
    """`/ccobot digest [status|subscribe|unsubscribe|time T|days D|channel C|quiet on|off|preview|
    unmute|help]`: each reply ephemeral, in the person's language; bad input gets a clear message."""
    def say(text: str, blocks: list[dict] | None = None) -> None:
        respond(text=text, **({"blocks": blocks} if blocks else {}), response_type="ephemeral",
                replace_original=False)

    try:
        person = DigestUser.of(bot, command["user_id"])
        lang = person.lang
        if not person.matched:
            return say(t("digest_ui_not_rep", lang))
        words = DIGEST.sub("", command.get("text") or "", 1)  # a channel stays <#C…|name>: not plain()
        verb, _, arg = words.strip().partition(" ")
        verb, arg = verb.lower(), arg.strip()
        if verb in ("", "status", "settings", "show"):
            return say(person.settings())
        if verb in ("help", "?"):
            return say(escape(t("digest_ui_usage", lang)))
        if verb in ("subscribe", "on", "start"):
            person.save(active=True)
            return say(f"{escape(t('digest_ui_subscribed', lang))}\n{person.settings()}")
        if verb in ("unsubscribe", "off", "stop"):
            person.save(active=False)
            return say(f"{escape(t('digest_ui_unsubscribed', lang))}\n{person.settings()}")
        if verb == "time":
            try:
                at = parse_time(arg)
            except SubscriptionError:
                return say(escape(t("digest_ui_bad_time", lang, value=arg or "–")))
            person.save(local_time=at)
            return say(f"{escape(t('digest_ui_time_set', lang, time=at))}\n{person.settings()}")
        if verb == "days":
            try:
                days = parse_days(_english_days(arg)) if arg else ""
            except SubscriptionError:
                days = ""
            if not days:
                return say(escape(t("digest_ui_bad_days", lang, value=arg or "–")))
            person.save(days=days)
            return say(f"{escape(t('digest_ui_days_set', lang, days=days_text(days, lang)))}\n{person.settings()}")
        if verb == "channel":
            return _channel(bot, person, arg, say)
        if verb == "quiet":
            value = arg.lower()
            if value not in ON | OFF:
                return say(escape(t("digest_ui_bad_quiet", lang)))
            on = value in ON
            person.save(quiet_days=on)
            return say(f"{escape(t('digest_ui_quiet_on' if on else 'digest_ui_quiet_off', lang))}\n{person.settings()}")
        if verb == "unmute":
            person.save(muted=())
            return say(f"{escape(t('digest_ui_unmuted', lang))}\n{person.settings()}")
        if verb == "preview":
            text, blocks = person.preview_message()
            return say(text, blocks)
        return say(escape(t("digest_ui_unknown", lang, value=bot.plain(verb)) + "\n" + t("digest_ui_usage", lang)))
    except Exception as exc:  # noqa: BLE001 (the apology path: only to the asker)
        say(bot.apology(exc))


def _english_days(text: str) -> str:
    """Danish and Swedish day words as the English ones parse_days reads."""
    def word(m: re.Match) -> str:
        w = m.group(0).lower().rstrip(".")
        return DAY_WORDS.get(w, DAY_WORDS.get(w[:3], w))

    return re.sub(r"[^\W\d_]+\.?", word, text)


def _channel(bot: SlackBot, person: DigestUser, arg: str, say) -> None:  # noqa: ANN001
    """Send the digest to a channel, only when every member may see all it holds (digest.md: a
    channel digest holds only what every member may see; it holds the person's whole scope, so
    every member must see that scope's deals); `dm` sends it to the person again."""
    lang = person.lang
    if arg.lower() in TO_DM:
        person.save(channel=None)
        return say(f"{escape(t('digest_ui_dm_set', lang))}\n{person.settings()}")
    m = CHANNEL.match(arg.strip())
    named = CHANNEL_NAME.match(arg.strip().lower())
    channel = (m.group(1) or m.group(2)) if m else find_channel(bot, named.group(1)) if named else None
    if not channel:
        return say(escape(t("digest_ui_bad_channel", lang, value=bot.plain(arg) or "–")))
    shown = f"<#{channel}>"
    verdict = bot.members_see_scope(person.who, channel)
    if verdict is None:
        return say(escape(t("digest_ui_channel_unknown", lang, channel="\x00")).replace("\x00", shown))
    if not verdict:
        scope = t(f"digest_scope_{scope_kind(person.who)}", lang)
        return say(escape(t("digest_ui_channel_refused", lang, channel="\x00", scope=scope)).replace("\x00", shown))
    person.save(channel=channel)
    done = escape(t("digest_ui_channel_set", lang, channel="\x00")).replace("\x00", shown)
    return say(f"{done}\n{person.settings()}")


def find_channel(bot: SlackBot, name: str, pages: int = 50) -> str | None:
    """A channel's id by its name ("sales" for #sales), among the public channels and the private
    ones the bot is in (conversations.list; channels:read, groups:read); None when not found. For
    /ccobot configured without "Escape channels" (should_escape false), where Slack sends "#sales"
    and not <#C123|sales>."""
    cursor = None
    try:
        for _ in range(pages):
            page = bot.client.conversations_list(types="public_channel,private_channel", exclude_archived=True,
                                                 limit=200, cursor=cursor)
            for found in page.get("channels") or []:
                if str(found.get("name") or "").lower() == name:
                    return str(found["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
    except SlackApiError as exc:
        log.info("conversations.list failed: %s", exc.response.get("error"))
    return None
