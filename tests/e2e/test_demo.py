"""`python -m bot demo` runs the whole flow against the stand-ins and shows both sides."""

from __future__ import annotations

import re
from pathlib import Path

from bot import texts
from bot.texts import admin as admin_words
from bot.texts import session as words
from devtools.demo_workspaces import WORKSPACES
from tests.support import DEMO_AUTH_CODE, run_bot
from tests.support.follow import sentence


def test_demo_shows_the_form_the_rescue_request_and_the_padded_pin(tmp_path: Path) -> None:
    result = run_bot(["demo"], tmp_path, {}, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for label in ("Customer name", "Custom field 1", "Custom field 5", "Tracking ID"):
        assert label in out
    assert "= 'Jane Doe'" in out
    assert "requestLensPINCodeV2 (SOAP 1.1)" in out
    assert "bNoTechConsole = 'true'" in out
    assert "004821" in out
    assert "Rescue Lens app" in out
    assert "their session waits in the queue 3 s after the PIN, and is picked up 5 s later" in out
    # The technician's message changes as lenspin follows the session, in that order.
    connected = sentence(words.WAITING.replace("*", ""), name="Jane Doe").search(out)
    picked_up = out.find(" s later | " + words.PICKED_UP.replace("*", "").format(name="Jane Doe"))
    assert connected is not None
    assert out[: connected.start()].endswith(" s later | ")
    assert picked_up > connected.end()
    assert DEMO_AUTH_CODE not in out + result.stderr
    # A colleague connects on lenspin's own page: the link, and the page it opens.
    assert "[ Open the connect page ]" in out
    assert "/connect/" in out
    assert "(200):\n  Connect Rescue for Sam Colleague in Lenspin Test & Co" in out
    # Then one deployment serving two workspaces, each installed with "Add to Slack".
    several = out[out.index("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET") :]
    acme, globex = WORKSPACES
    for shop in WORKSPACES:
        assert f"lenspin's page says: lenspin is now installed in {shop.name}." in several
        assert shop.code not in out + result.stderr

    # Each admin's own settings, set in the Admin modal: their own technician, a code "set".
    def said(line: str, **values: str) -> str:
        return "| " + line.replace("*", "").format(**values) + "\n"

    acme_admin = several[several.index(f"  {acme.name}:\n") : several.index(f"  {globex.name}:\n")]
    globex_admin = several[several.index(f"  {globex.name}:\n") :]
    for shop, shown, language in ((acme, acme_admin, "English"), (globex, globex_admin, "Deutsch")):
        assert said(admin_words.USERS_SOME, people=f"<@{shop.tech}>") in shown
        assert said(admin_words.CODE_SET) in shown
        assert said(admin_words.LANGUAGE, language=language) in shown
    # Each technician's PIN, on their workspace's own code, the customer's steps in its language.
    pins = several[several.index("A technician in each types") :]
    for shop, language in ((acme, "en"), (globex, "de")):
        pin_line = rf"  {re.escape(shop.name)} +\| Rescue Lens PIN for {shop.customer}: \d{{6}}\n"
        found = re.search(pin_line + r" +\| (.*)\n", pins)
        assert found is not None, pins
        assert found[1] == texts.CUSTOMER_STEPS[language].splitlines()[0]
        assert f"(Rescue got {shop.name}'s request with its own auth code.)" in pins
