"""The morning digest in Slack: its Block Kit (digest_blocks.py), `/ccobot digest …`, the App Home
section and settings modal, and the digest's buttons, driven as Slack drives them: signed requests
to the real Bolt app and server, the local fake Slack Web API (which checks every payload with
tests/fakes/block_kit.py), assertions on the stored subscription.

The store is tests/conftest.py SMALL with named deals d01 … d09 and their history added. D is the
store's as_of, Friday 2026-11-20; the default window is Thursday 2026-11-19. Mona (m1, UM1) manages
Alice (r1, UR1) and Bob (r2, UR2), team A.
  changes for Mona: d01 … d07 and d09 are new (first history row 2026-11-19): 8 entries.
  risks for Mona: o6 (stalled), o7 (stalled, no amount), d01 … d08 (overdue, close dates before D): 10.
  closing this week (2026-11-16 … 11-22): d09 (r1, closes 2026-11-21).
"""

from __future__ import annotations

import copy
import json
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.channels.slack.digest_blocks import digest_chart, digest_message, figure_text
from bot.core.i18n import money, number, t
from bot.digest.content import DigestBuilder
from bot.digest.model import Digest, Recipient
from bot.digest.render import SHOWN
from bot.digest.subscriptions import Subscriptions
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from tests.conftest import SMALL, write_store
from tests.fakes.block_kit import problems
from tests.slack.test_slack_app import SLACK, Harness, fixture

D = date(2026, 11, 20)
EVIL = "<!channel> & <@U999> Co"  # a deal name carrying Slack markup

DEALS = [  # id, account, owner, stage, amount, created, close, name
    ("d01", "a1", "r1", "Proposal", 8000, "2026-10-01", "2026-11-02", f"{EVIL} – Platform"),
    ("d02", "a2", "r2", "Proposal", 7000, "2026-10-01", "2026-11-03", "Beta – Analytics"),
    ("d03", "a3", "r2", "Negotiation", 6000, "2026-10-01", "2026-11-04", "Gamma – Services"),
    ("d04", "a1", "r1", "Proposal", 5000, "2026-10-01", "2026-11-05", "Acme – Services"),
    ("d05", "a2", "r1", "Proposal", 4000, "2026-10-01", "2026-11-06", "Beta – Platform"),
    ("d06", "a3", "r2", "Proposal", 3000, "2026-10-01", "2026-11-09", "Gamma – Platform"),
    ("d07", "a1", "r2", "Proposal", 2000, "2026-10-01", "2026-11-10", "Acme – Analytics"),
    ("d08", "a2", "r1", "Proposal", 1000, "2026-10-01", "2026-11-11", "Beta – Services"),
    ("d09", "a3", "r1", "Negotiation", 9000, "2026-10-01", "2026-11-21", "Gamma – Big renewal"),
]


def digest_store(root: Path, without_timezone: str | None = None) -> Path:
    tables = dict(SMALL)
    lines = SMALL["opportunities.csv"].strip().splitlines()
    rows = [lines[0].strip() + ",name"] + [line.strip() + "," for line in lines[1:]]
    for oid, acc, owner, stage, amount, created, close, name in DEALS:
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(f"{oid},{acc},{owner},Platform,new,inbound,{stage},false,false,{amount},EUR,,{created},{close},"
                    f"{quoted}")
    tables["opportunities.csv"] = "\n".join(rows)
    history = ["opportunity_id,changed_at,stage,amount,close_date"]
    for oid, _, _, stage, amount, _, close, _ in DEALS:
        if oid != "d08":  # d08 moved last in October: not new, not changed
            history.append(f"{oid},2026-11-19T09:00:00Z,{stage},{amount},{close}")
    history.append("d08,2026-10-25T09:00:00Z,Proposal,1000,2026-11-11")
    tables["opportunity_history.csv"] = "\n".join(history)
    if without_timezone:
        tables["reps.csv"] = "\n".join(
            line.replace(",Europe/Stockholm,", ",,") if line.strip().startswith(without_timezone + ",") else line
            for line in SMALL["reps.csv"].splitlines())
    return write_store(root, tables, "base_currency: EUR\nas_of: 2026-11-20\n")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    return digest_store(tmp_path_factory.mktemp("digest-ui"))


@pytest.fixture(scope="module")
def engine(store_dir) -> Engine:
    return Engine(load_store(store_dir))


def build(engine: Engine, rep: str, lang: str = "en", window: date = date(2026, 11, 19)) -> Digest:
    return DigestBuilder(engine).build([Recipient(rep, D, window, lang)])[0]


def table_cells(blocks: list[dict]) -> dict[str, str]:
    table = next(b for b in blocks if b["type"] == "table")
    return {row[0]["text"]: row[1]["text"] for row in table["rows"]}


def visible(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# ---------------------------------------------------------------- the message

@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_managers_digest_as_block_kit(engine, lang):
    digest = build(engine, "m1", lang)
    assert digest.scope == "team" and len(digest.changes) == 8 and len(digest.risks) == 10
    text, blocks = digest_message(digest)
    assert problems(text, blocks) == []
    assert text == t("digest_title", lang, name="Mona Manager", date=_day(D, lang))
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == text
    cells = table_cells(blocks)
    figures = digest.figures
    assert cells[t("digest_ui_fig_pipeline", lang)] == money(figures["pipeline"], "EUR", lang)
    assert cells[t("digest_ui_fig_weighted_pipeline", lang)] == money(figures["weighted_pipeline"], "EUR", lang)
    assert cells[t("digest_ui_fig_bookings_qtd", lang)] == money(figures["bookings_qtd"], "EUR", lang)
    assert cells[t("digest_ui_fig_target_quarter", lang)] == figure_text(digest, "target_quarter")
    assert len(cells) == 8  # the quarter and scope, then seven figures
    # five entries of each long section, then "… and N more"
    shown = visible(blocks)
    assert shown.count('"action_id": "digest_ask_') == 5 + 5 + 1  # changes, risks, closing (d09)
    assert t("digest_more", lang, n=number(3, lang)) in shown  # 8 changes
    assert t("digest_more", lang, n=number(5, lang)) in shown  # 10 risks
    assert t("digest_changes", lang, window=_day(date(2026, 11, 19), lang)) in shown
    assert "Gamma – Big renewal" in shown and t("digest_closing", lang) in shown
    # every deal button carries the opportunity id; Change time is last
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert {b["value"] for b in buttons if b["action_id"].startswith("digest_mute_")} >= {"d01", "d09"}
    assert buttons[-1]["action_id"] == "digest_time"


def test_a_digest_in_danish_differs_from_english(engine):
    en, da = build(engine, "m1", "en"), build(engine, "m1", "da")
    pipeline_en = table_cells(digest_message(en)[1])["Pipeline"]
    pipeline_da = table_cells(digest_message(da)[1])["Pipeline"]
    assert pipeline_en == money(en.figures["pipeline"], "EUR", "en") != pipeline_da
    assert pipeline_da == money(da.figures["pipeline"], "EUR", "da")


def test_deal_names_with_markup_are_shown_literally(engine):
    text, blocks = digest_message(build(engine, "m1"))
    assert problems(text, blocks) == []
    for block in blocks:  # the name only in rich text (literal); no mrkdwn holds it
        if block["type"] in ("section", "context"):
            assert "<!channel>" not in json.dumps(block)
    assert any(EVIL in json.dumps(b, ensure_ascii=False) for b in blocks if b["type"] == "rich_text")


def test_quiet_late_and_no_target(engine):
    digest = build(engine, "m1", "sv")
    digest.changes, digest.risks, digest.risk_counts, digest.late = [], [], {}, True  # a quiet day, sent late
    digest.figures = dict(digest.figures, target_quarter=None, attainment=None, coverage=None)
    text, blocks = digest_message(digest)
    assert problems(text, blocks) == []
    shown = visible(blocks)
    assert t("digest_quiet", "sv") in shown and t("digest_late", "sv") in shown
    assert table_cells(blocks)[t("digest_ui_fig_target_quarter", "sv")] == "–"
    assert digest_chart(digest) is None


def test_chart_of_bookings_against_target(engine):
    digest = build(engine, "m1")
    assert digest.figures["target_quarter"]  # team A's Q4 target: the company row 5000 … or its reps'
    png = digest_chart(digest)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def test_a_company_digest_with_hundreds_of_risks_stays_within_slacks_limits(tmp_path):
    from bot.metrics import demo

    demo.write_demo(tmp_path / "demo", seed=5, deals=8000, as_of=D)
    engine = Engine(load_store(tmp_path / "demo"))
    reps = engine.store.tables["reps"]
    exec_id = str(reps.loc[reps["role"] == "exec", "rep_id"].iloc[0])
    digest = build(engine, exec_id, "da")
    assert digest.scope == "company" and len(digest.risks) > 200
    text, blocks = digest_message(digest)
    assert problems(text, blocks) == [] and len(blocks) <= 50
    assert t("digest_more", "da", n=number(len(digest.risks) - SHOWN, "da")) in visible(blocks)
    # and a made-up one: a thousand risks with names far longer than Slack allows in a line
    long = [dict(r, name="x" * 5000 + " <!here> &", opportunity_id=f"O{i}") for i, r in
            enumerate((digest.risks * 10)[:1000])]
    huge = Digest(**{**digest.__dict__, "risks": long, "changes": [dict(e, change="new") for e in long],
                     "closing_this_week": long[:10], "name": "N" * 400, "late": True})
    text, blocks = digest_message(huge)
    assert problems(text, blocks) == [], problems(text, blocks)


def _day(d: date, lang: str) -> str:
    from bot.digest.render import day

    return day(d, lang)


# ---------------------------------------------------------------- through Slack

MEMBERS = {"C111": ["UM1", "UR1", "UR2"], "CLEAD": ["UM1", "UX1", "UAD"], "CEXEC": ["UX1", "UAD"],
           "CMONA": ["UM1", "UM0"]}


@pytest.fixture
def slack(tmp_path):
    store = digest_store(tmp_path / "store", without_timezone="r2")  # Bob: no time zone in the reps table
    h = Harness(store, tmp_path, members=MEMBERS)
    h.fake.ims.update({"DUM1": "UM1", "DUR2": "UR2"})
    # English in Slack (without a locale, the language of their time zone: Danish for Copenhagen)
    h.fake.locales.update({u: "en-GB" for u in ("UM1", "UR1", "UR2", "UX1")})
    real = h.fake.reply

    h.fake.names.update({"C111": "sales", "CMONA": "mona-and-greta"})

    def reply(method: str, params: dict, host: str) -> dict:
        out = real(method, params, host)
        if method == "users.info" and out.get("ok"):  # Slack's users.info gives a time zone
            out["user"]["tz"] = "America/New_York"
        if method == "conversations.list":  # channels by name, one to a page
            names = sorted(h.fake.names.items())
            at = int(params.get("cursor") or 0)
            out = {"ok": True, "channels": [{"id": c, "name": n} for c, n in names[at:at + 1]],
                   "response_metadata": {"next_cursor": str(at + 1) if at + 1 < len(names) else ""}}
        return out

    h.fake.reply = reply
    yield h
    h.close()


def command(slack: Harness, text: str, user: str = "UM1", channel: str = "C111") -> dict:
    """/ccobot <text> as Slack sends it; the reply posted to response_url."""
    before = len(slack.fake.of("response"))  # replies to buttons come to response_url too
    fields = dict(parse_qsl((SLACK / "slash_command.form.txt").read_text().strip()))
    fields.update(command="/ccobot", text=text, user_id=user, channel_id=channel,
                  response_url=f"{slack.fake.base}/response/{before + 1}")
    status, _, elapsed = slack.form(fields)
    assert status == 200 and elapsed < 3.0
    replies = slack.fake.wait_for("response", before + 1, timeout=30)
    assert len(replies) == before + 1, f"no reply (or more than one) to {text!r}"
    return json.loads(replies[-1]["body"])


def sub_of(slack: Harness, rep: str):
    return Subscriptions(slack.state).get(slack.assistant.engine.store, rep)


def test_slash_commands_change_the_subscription(slack):
    assert sub_of(slack, "m1").active  # managers are subscribed by default
    reply = command(slack, "digest")
    assert reply["response_type"] == "ephemeral" and "08:00" in reply["text"] and "Monday–Friday" in reply["text"]
    reply = command(slack, "digest unsubscribe")
    assert not sub_of(slack, "m1").active and "unsubscribed" in reply["text"]
    command(slack, "digest subscribe")
    assert sub_of(slack, "m1").active
    reply = command(slack, "digest time 7:30")
    assert sub_of(slack, "m1").local_time == "07:30" and "07:30" in reply["text"]
    reply = command(slack, "digest days mon,wed,fri")
    assert sub_of(slack, "m1").days == "mon,wed,fri" and "Monday, Wednesday, Friday" in reply["text"]
    command(slack, "digest days mon-fri")
    assert sub_of(slack, "m1").days == "mon,tue,wed,thu,fri"
    command(slack, "digest quiet off")
    assert sub_of(slack, "m1").quiet_days is False
    command(slack, "digest quiet on")
    assert sub_of(slack, "m1").quiet_days is True
    # a bad time, bad days, an unknown word: a clear message, nothing stored, no stack trace
    for text, expected in (("digest time 25:00", "'25:00' is not a time of day"),
                           ("digest days someday", "'someday' is not a list of days"),
                           ("digest quiet maybe", "quiet on"), ("digest frobnicate", "I don't know 'frobnicate'")):
        reply = command(slack, text)
        assert reply["response_type"] == "ephemeral" and expected in reply["text"], reply["text"]
        assert "Traceback" not in reply["text"] and "reference" not in reply["text"].lower()
    sub = sub_of(slack, "m1")
    assert (sub.local_time, sub.days, sub.active) == ("07:30", "mon,tue,wed,thu,fri", True)
    assert all(json.loads(r["body"])["response_type"] == "ephemeral" for r in slack.fake.of("response"))


def test_channel_only_where_every_member_may_see_the_digest(slack):
    reply = command(slack, "digest channel <#C111|sales>")  # Alice and Bob may not see each other's deals
    assert sub_of(slack, "m1").channel is None and "can't go to <#C111>" in reply["text"]
    reply = command(slack, "digest channel <#CNOBOT|elsewhere>")  # the bot is no member: can't tell
    assert sub_of(slack, "m1").channel is None and "invite me" in reply["text"]
    reply = command(slack, "digest channel #no-such-channel")
    assert sub_of(slack, "m1").channel is None and "not a channel" in reply["text"]
    reply = command(slack, "digest channel #sales")  # as typed (the command unescaped): found by name
    assert sub_of(slack, "m1").channel is None and "can't go to <#C111>" in reply["text"]
    reply = command(slack, "digest channel <#CMONA|mona-and-greta>")  # Greta manages Mona's team
    assert sub_of(slack, "m1").channel == "CMONA" and "<#CMONA>" in reply["text"]
    command(slack, "digest channel dm")
    command(slack, "digest channel #Mona-and-Greta")
    assert sub_of(slack, "m1").channel == "CMONA"
    command(slack, "digest channel <#CEXEC|leadership>", user="UX1")  # a company digest: execs only
    assert sub_of(slack, "x1").channel == "CEXEC"
    command(slack, "digest channel <#CLEAD|leads>", user="UX1")  # Mona may not see the whole company
    assert sub_of(slack, "x1").channel == "CEXEC"
    command(slack, "digest channel dm")
    assert sub_of(slack, "m1").channel is None


def test_preview_is_the_digest_of_today_in_the_persons_language(slack):
    slack.fake.locales["UM1"] = "da-DK"
    reply = command(slack, "digest preview")
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Pipelineoverblik for Mona Manager")
    digest = DigestBuilder(slack.assistant.engine).build([Recipient("m1", D, date(2026, 11, 19), "da")])[0]
    assert table_cells(reply["blocks"])["Pipeline"] == money(digest.figures["pipeline"], "EUR", "da")
    # the other replies are Danish too, and the language is kept for the scheduled digest
    reply = command(slack, "digest time 25:00")
    assert "'25:00' er ikke et tidspunkt" in reply["text"]
    command(slack, "digest time 06:45")
    assert sub_of(slack, "m1").lang == "da"


def test_someone_who_is_no_rep_is_told_so(slack):
    reply = command(slack, "digest subscribe", user="UNOBODY")
    assert reply["response_type"] == "ephemeral" and "can't find you" in reply["text"]
    assert Subscriptions(slack.state).explicit() == {}


def test_slacks_time_zone_is_kept_when_the_reps_table_has_none(slack):
    command(slack, "digest time 07:00", user="UR2")  # Bob: no reps.timezone
    assert sub_of(slack, "r2").tz == "America/New_York" and sub_of(slack, "r2").local_time == "07:00"
    command(slack, "digest time 07:00", user="UR1")  # Alice has one (Europe/Copenhagen)
    assert sub_of(slack, "r1").tz is None


def test_other_ccobot_commands_still_ask_the_assistant(slack):
    reply = command(slack, "help")
    assert "KPI" in reply["text"]


# ---------------------------------------------------------------- App Home and the modal

def home_opened(slack: Harness, user: str) -> dict:
    body = copy.deepcopy(fixture("app_mention_event_callback.json"))
    body["event"] = {"type": "app_home_opened", "user": user, "channel": "D111", "tab": "home",
                     "event_ts": "1595926230.1"}
    body["event_id"] = f"EvHome-{time.time_ns()}"
    slack.event(body)


def press(slack: Harness, action_id: str, value: str, user: str = "UM1", *, home: bool = False,
          channel: str = "DUM1", ts: str = "1700000001.000100") -> None:
    body = fixture("block_actions_with_message.json")
    body["user"]["id"] = user
    body["actions"] = [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                        "text": {"type": "plain_text", "text": "x"}, "action_ts": "1"}]
    if home:
        for key in ("message", "channel", "response_url"):
            body.pop(key)
        body["container"] = {"type": "view", "view_id": "VHOME"}
        body["view"] = {"id": "VHOME", "type": "home", "blocks": [], "private_metadata": "", "callback_id": "",
                        "state": {"values": {}}, "hash": "h"}
    else:
        body["channel"] = {"id": channel, "name": "directmessage"}
        body["container"].update(channel_id=channel, message_ts=ts)
        body["message"]["ts"] = ts
        body["response_url"] = f"{slack.fake.base}/response/{action_id}-{time.time_ns()}"
    status, _, elapsed = slack.form({"payload": json.dumps(body)})
    assert status == 200 and elapsed < 3.0


def submit(slack: Harness, view: dict, user: str, picked_time: str, days: list[str]) -> tuple[int, str]:
    state = {"values": {
        "digest_time_block": {"digest_pick_time": {"type": "timepicker", "selected_time": picked_time}},
        "digest_days_block": {"digest_pick_days": {"type": "checkboxes", "selected_options": [
            {"text": {"type": "plain_text", "text": d}, "value": d} for d in days]}}}}
    body = {"type": "view_submission", "team": {"id": "T111"}, "user": {"id": user}, "api_app_id": "A111",
            "trigger_id": "1.2.3", "view": dict(view, id="VMODAL", state=state, hash="h")}
    status, text, _ = slack.form({"payload": json.dumps(body)})
    return status, text


def wait(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition()


def test_home_shows_the_digest_and_the_modal_stores_time_and_days(slack):
    home_opened(slack, "UM1")
    view = slack.fake.wait_for("views.publish")[0]["view"]
    shown = json.dumps(view, ensure_ascii=False)
    assert "Your team's KPIs this quarter" in shown  # the Home tab's KPIs are still there
    assert "Morning digest" in shown and "08:00" in shown and "digest_unsubscribe" in shown
    assert "digest_time" in shown and "digest_preview" in shown
    press(slack, "digest_time", "time", home=True)
    modal = slack.fake.wait_for("views.open")[0]
    assert modal["trigger_id"] == "4916855695380.xxx.yyy" and modal["view"]["callback_id"] == "digest_settings"
    status, _ = submit(slack, modal["view"], "UM1", "06:15", ["mon", "thu"])
    assert status == 200
    wait(lambda: sub_of(slack, "m1").local_time == "06:15")
    assert sub_of(slack, "m1").days == "mon,thu"
    republished = slack.fake.wait_for("views.publish", 2)[1]["view"]  # the Home tab shows the new settings
    assert "06:15" in json.dumps(republished) and "Monday, Thursday" in json.dumps(republished)
    # no day ticked: the modal stays open, saying so, and nothing changes
    status, text = submit(slack, modal["view"], "UM1", "09:00", [])
    assert status == 200 and json.loads(text)["response_action"] == "update"
    assert "at least one day" in text
    time.sleep(0.3)
    assert sub_of(slack, "m1").local_time == "06:15"


def test_home_subscribe_unsubscribe_and_preview(slack):
    press(slack, "digest_unsubscribe", "unsubscribe", home=True)
    wait(lambda: not sub_of(slack, "m1").active)
    assert "digest_subscribe" in json.dumps(slack.fake.wait_for("views.publish")[0]["view"])
    press(slack, "digest_subscribe", "subscribe", home=True)
    wait(lambda: sub_of(slack, "m1").active)
    press(slack, "digest_preview", "preview", home=True)
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post["channel"] == "DUM1" and post["text"].startswith("Pipeline digest for Mona Manager")
    assert any(b["type"] == "table" for b in post["blocks"])


# ---------------------------------------------------------------- the digest's buttons

def test_mute_stores_the_deal(slack):
    press(slack, "digest_mute_3", "d02")
    reply = json.loads(slack.fake.wait_for("response")[0]["body"])
    assert reply["response_type"] == "ephemeral" and "Beta – Analytics" in reply["text"]
    assert sub_of(slack, "m1").muted == ("d02",)
    press(slack, "digest_mute", "d03")
    wait(lambda: sub_of(slack, "m1").muted == ("d02", "d03"))
    slack.fake.wait_for("response", 2)  # the second mute's reply first: the preview's is the next one
    preview = command(slack, "digest preview")  # muted deals are left out, as in the sent digest
    assert '"d02"' not in json.dumps(preview["blocks"]) and "Beta – Analytics" not in json.dumps(preview["blocks"])
    command(slack, "digest unmute")
    assert sub_of(slack, "m1").muted == ()


def test_ask_posts_the_deal_in_the_digests_thread(slack):
    from bot.state import AuditLog

    slack.assistant.audit = AuditLog(slack.state, channel="slack")
    press(slack, "digest_ask_0", "d01", ts="1700000002.000200")
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post["channel"] == "DUM1" and post["thread_ts"] == "1700000002.000200"
    shown = json.dumps(post["blocks"], ensure_ascii=False)
    assert EVIL in shown and "Alice Berg" in shown and "EUR 8,000" in shown and "overdue" in shown
    assert "<!channel>" not in post["text"]  # the notification text is escaped
    # a deal outside the presser's scope: only a short message, to them alone
    press(slack, "digest_ask_1", "o8", user="UR1", channel="C111")  # Carl's deal, asked by Alice
    reply = json.loads(slack.fake.wait_for("response")[0]["body"])
    assert reply["response_type"] == "ephemeral" and "outside what you may see" in reply["text"]
    assert len(slack.fake.of("chat.postMessage")) == 1
    audited = sorted((e.user_id, e.kind, e.question) for e in slack.assistant.audit.entries())
    assert audited == [("UM1", "deals", "deal d01"), ("UR1", "denied", "deal o8")]


def test_change_time_from_a_digest_opens_the_modal_and_confirms(slack):
    press(slack, "digest_time", "time")
    modal = slack.fake.wait_for("views.open")[0]["view"]
    assert json.loads(modal["private_metadata"]) == {"home": False, "channel": "DUM1"}
    submit(slack, modal, "UM1", "07:05", ["tue", "wed", "thu"])
    note = slack.fake.wait_for("chat.postEphemeral")[0]
    assert note["channel"] == "DUM1" and note["user"] == "UM1" and "07:05" in note["text"]
    assert sub_of(slack, "m1").days == "tue,wed,thu"
