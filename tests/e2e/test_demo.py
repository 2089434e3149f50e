"""`python -m bot demo` runs the whole flow against the stand-ins and shows both sides."""

from __future__ import annotations

from pathlib import Path

from bot.texts import session as words
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
