"""One technician floods the shared code: capped at once, and a colleague still gets a turn.

The app runs as the Procfile runs it, with two workers: the cap is counted in the database,
so the flood gets three places in all, not three in each worker.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import texts
from tests.support import (
    DATABASE_KINDS,
    Delay,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    fresh_database,
    open_pin_modal,
    submit_pin_modal,
)
from tests.support.answers import QUEUE_NOTE_START
from tests.support.inprocess import in_process_bot

RESCUE_SECONDS = 2.0  # how long Rescue took per call in the issue
QUEUE_FULL = texts.QUEUE_FULL.format(limit=3)


@pytest.mark.parametrize("database", DATABASE_KINDS)
def test_a_flood_is_refused_beyond_three_and_a_colleague_waits_one_turn_of_it(
    database: str,
) -> None:
    code, flooder, colleague = "fairqueuecode", "U0FLOODER", "U0COLLEAGUE"
    with (
        FakeSlack() as slack,
        FakeRescue(auth_codes=(code,), rate_limit=None) as rescue,
    ):
        rescue.set_default(Delay(RESCUE_SECONDS))
        # Two workers, as deployed: the flood reaches both, and the cap and the pace are
        # each the database's, shared by them.
        env = app_env(
            slack,
            rescue,
            DATABASE_URL=fresh_database(database),
            RESCUE_AUTH_CODE=code,
            LENSPIN_ALLOWED_USERS="*",
            RESCUE_TIMEOUT="5",
            WEB_CONCURRENCY="2",
        )
        with WebProcess(env) as web:
            forms = [
                open_pin_modal(slack, web.events_url, user_id=flooder, text=f"Flood {i}")
                for i in range(8)
            ]
            theirs = open_pin_modal(slack, web.events_url, user_id=colleague, text="Colleague")
            started = time.monotonic()
            with ThreadPoolExecutor(len(forms)) as pool:
                acks = list(
                    pool.map(
                        lambda form: submit_pin_modal(
                            slack, web.events_url, form, user_id=flooder, values={}
                        ),
                        forms,
                    )
                )
            assert all(ack.status == 200 for ack in acks)
            submit_pin_modal(slack, web.events_url, theirs, user_id=colleague, values={})

            refused: list[str] = []
            for _ in range(5):
                message = slack.wait_for_message(
                    flooder,
                    predicate=lambda m: QUEUE_FULL in m["text"] and m["text"] not in refused,
                )
                refused.append(message["text"])
            refused_by = time.monotonic()
            pin = slack.wait_for_message(
                colleague, timeout=15, predicate=lambda m: "Colleague" in m["text"]
            )
            served_in = time.monotonic() - started
            names = [m.split("No PIN for ")[1].split(".")[0] for m in refused]
            flood_pins = [
                slack.wait_for_message(flooder, timeout=15, predicate=lambda m, n=n: n in m["text"])
                for n in (f"Flood {i}" for i in range(8))
                if n not in names
            ]
            calls = [c.fields["sCField0"] for c in rescue.calls]

        # Refused at once: before Rescue could answer even the first request.
        assert refused_by < rescue.calls[0].received_at + RESCUE_SECONDS
        assert "Rescue Lens PIN for Colleague" in pin["text"]
        assert all("Rescue Lens PIN for Flood" in m["text"] for m in flood_pins)
        # Five refused in all, and no more: the sixth and later the workers would have taken.
        assert sum(QUEUE_FULL in m["text"] for m in slack.messages_for(flooder)) == 5
        # The refused ones never reached Rescue; the three accepted did, once each.
        assert set(names).isdisjoint(calls)
        assert len(calls) == len(set(calls)) == 4
        # Behind at most one of the flood's besides the one under way in its worker (the
        # other worker's run beside them): two calls, where first come, first served could
        # make it three; before the cap, eight (17.9 s in the issue).
        theirs_sent = next(c for c in rescue.calls if c.fields["sCField0"] == "Colleague")
        assert theirs_sent.received_at - started < 2 * RESCUE_SECONDS + 1.5, calls
        assert served_in < 3 * RESCUE_SECONDS + 2.0


def test_a_long_wait_is_announced_and_the_pin_replaces_the_note(slack: FakeSlack) -> None:
    with in_process_bot(slack, LENSPIN_ALLOWED_USERS="*") as bot:
        users = [f"U0QUEUE{i}" for i in range(5)]
        forms = [bot.open_pin_form(user, f"Customer {i}") for i, user in enumerate(users)]
        for user, form in zip(users, forms, strict=True):
            assert bot.submit(form.view, user_id=user).body == ""
        # Three or four requests ahead at Rescue's pace (1.05 s a turn): over 3 s away.
        last, url = users[-1], forms[-1].response_url
        pin = bot.slack.wait_for_message(
            last, timeout=10, predicate=lambda m: "Customer 4" in m["text"]
        )
        posts = [p.body for p in bot.slack.response_posts if p.url == url]
        assert len(posts) == 2
        note, answer = posts
        assert note["text"].startswith(QUEUE_NOTE_START)
        assert not note.get("replace_original")
        assert answer["replace_original"] is True
        assert answer["text"] == pin["text"]
        # The first technician's turn came at once: no note, the PIN is posted as before.
        first = [p.body for p in bot.slack.response_posts if p.url == forms[0].response_url]
        assert [p.get("replace_original") for p in first] == [False]
