"""deploy/teams: the app package Teams admins sideload (manifest.json and its two icons) holds what
Teams requires of it."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from tests.paths import ROOT

TEAMS = ROOT / "deploy" / "teams"


def test_the_manifest_names_the_bot_its_scopes_and_icons():
    manifest = json.loads((TEAMS / "manifest.json").read_text())
    assert manifest["manifestVersion"] == "1.22" and manifest["$schema"].endswith("/v1.22/MicrosoftTeams.schema.json")
    (bot,) = manifest["bots"]
    assert bot["botId"] == manifest["id"] == "{{MICROSOFT_APP_ID}}"  # filled in when packaging (deploy/teams/README.md)
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    assert all(len(c["title"]) <= 32 for lst in bot["commandLists"] for c in lst["commands"])


def test_the_icons_are_the_sizes_teams_asks_for():
    color = Image.open(TEAMS / json.loads((TEAMS / "manifest.json").read_text())["icons"]["color"])
    assert color.size == (192, 192)
    outline = Image.open(TEAMS / "outline.png").convert("RGBA")
    assert outline.size == (32, 32)
    # the outline icon is white on transparent: no other colour
    pixels = np.asarray(outline).reshape(-1, 4)
    assert {tuple(px[:3]) for px in pixels if px[3] > 0} == {(255, 255, 255)}
    assert (pixels[:, 3] == 0).any()
