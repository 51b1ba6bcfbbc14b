"""What the Teams tests share: Microsoft's published activities shaped into questions, the app
with a local Bot Connector and local tokens, and reading the replies."""

from __future__ import annotations

import copy
import json
import uuid

from starlette.testclient import TestClient

from bot.channels.teams.bot import TeamsBot, auth_config
from bot.config import Settings
from bot.web import create_teams_app
from tests.fakes.bot_connector import FakeConnector, local_connections
from tests.paths import FIXTURES

ACTIVITIES = FIXTURES / "teams"
ALICE = "29:alice-teams-id"
CARD = "application/vnd.microsoft.card.adaptive"


def member(user: str, name: str, email: str) -> dict:
    return {"id": user, "name": name, "email": email, "userPrincipalName": email, "aadObjectId": "aad-" + user[3:]}


def activity(text: str, conversation_type: str = "personal", user: str = ALICE, **extra) -> dict:
    """Microsoft's published personal-chat message, asked by `user` with `text`."""
    body = json.loads((ACTIVITIES / "teams_message_personal_msteams_docs.json").read_text())
    body["id"] = uuid.uuid4().hex  # each question a message of its own (one sent twice is answered once)
    body["from"]["id"] = user
    body["text"] = text
    body["attachments"] = []
    body["conversation"]["conversationType"] = conversation_type
    body.update(extra)
    return body


def client_for(assistant, state=None, **settings) -> tuple[TestClient, TeamsBot]:
    config = Settings(_env_file=None, **settings)
    teams = TeamsBot(assistant, config, state, connections=local_connections(auth_config(config)))
    return TestClient(create_teams_app(teams)), teams


def ask(client: TestClient, connector: FakeConnector, body: dict, headers: dict | None = None) -> dict:
    body = copy.deepcopy(body)
    body["serviceUrl"] = connector.url
    response = client.post("/api/messages", json=body, headers=headers or {})
    assert response.status_code in (200, 202), response.text
    return connector.wait_for(1)[-1]


def card_text(reply: dict) -> str:
    (attachment,) = reply["attachments"]
    assert attachment["contentType"] == CARD and attachment["content"]["version"] == "1.5"
    return json.dumps(attachment["content"], ensure_ascii=False)


def invoke(verb: str, data: dict) -> dict:
    """An Action.Execute press as Teams sends it: an adaptiveCard/action invoke."""
    body = activity("")
    body.update(type="invoke", name="adaptiveCard/action",
                value={"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}})
    body.pop("text")
    return body


