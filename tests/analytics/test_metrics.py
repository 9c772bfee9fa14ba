"""The documented rules of analytics.metrics, each with a case that must trigger it and one that must not."""

from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.metrics import MetricInputs, compute, engagement_level

START = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)
NOW = START + timedelta(hours=2)
ABANDON = timedelta(minutes=30)


def metrics(**inputs):
    return compute(MetricInputs(started_at=START, **inputs), now=NOW, abandon_after=ABANDON)


def test_nothing_happened_means_no_session_no_score():
    result = metrics()
    assert result.chat_session_started is False
    assert result.engagement_score == "" and result.engagement_points == 0
    assert result.session_duration is None
    assert result.conversation_abandoned is False


def test_a_prospect_message_or_the_widget_starts_the_chat():
    assert metrics(prospect_messages=1).chat_session_started is True
    assert metrics(event_counts={"chat_session_started": 1}).chat_session_started is True
    assert metrics(event_counts={"widget_minimized": 3}).chat_session_started is False


def test_contact_method_names_what_was_left():
    assert metrics(has_email=True).contact_method == "email"
    assert metrics(has_phone=True).contact_method == "phone"
    assert metrics(has_email=True, has_phone=True).contact_method == "email_and_phone"
    assert (metrics().contact_captured, metrics().contact_method) == (False, "")


def test_a_cancelled_tour_is_not_a_booked_tour():
    booked = metrics(tours=[("scheduled", "virtual", "")])
    assert (booked.tour_booked, booked.tour_type) == (True, "virtual")
    cancelled = metrics(tours=[("cancelled", "virtual", "")], conversation_tour_booked=True)
    assert (cancelled.tour_booked, cancelled.tour_type) == (False, "")
    rebooked = metrics(tours=[("cancelled", "virtual", ""), ("confirmed", "in_person", "")])
    assert (rebooked.tour_booked, rebooked.tour_type) == (True, "in_person")


def test_without_tour_rows_the_conversations_own_flag_counts():
    result = metrics(conversation_tour_booked=True, conversation_tour_type="self_guided")
    assert (result.tour_booked, result.tour_type) == (True, "self_guided")


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"prospect_messages": 2, "last_prospect_message_at": NOW - timedelta(minutes=31)}, True),
        ({"prospect_messages": 2, "last_prospect_message_at": NOW - timedelta(minutes=29)}, False),
        ({"prospect_messages": 2, "last_prospect_message_at": NOW - timedelta(hours=1), "has_phone": True}, False),
        (
            {
                "prospect_messages": 2,
                "last_prospect_message_at": NOW - timedelta(hours=1),
                "tours": [("scheduled", "in_person", "")],
            },
            False,
        ),
        ({"event_counts": {"chat_session_started": 1}}, False),
    ],
    ids=["silent-31-min", "silent-29-min", "left-a-phone", "booked-a-tour", "never-wrote"],
)
def test_abandonment(inputs, expected):
    assert metrics(**inputs).conversation_abandoned is expected


def test_session_duration_runs_to_the_last_message_or_widget_event():
    by_message = metrics(prospect_messages=1, last_message_at=START + timedelta(minutes=4))
    assert by_message.session_duration == 240
    by_event = metrics(
        prospect_messages=1,
        last_message_at=START + timedelta(minutes=4),
        event_counts={"widget_session_ended": 1},
        last_event_at=START + timedelta(minutes=9),
    )
    assert by_event.session_duration == 540


@pytest.mark.parametrize(
    ("points", "level"), [(0, "low"), (4, "low"), (5, "medium"), (11, "medium"), (12, "high"), (30, "high")]
)
def test_engagement_levels(points, level):
    assert engagement_level(points) == level


def test_engagement_points_follow_the_table():
    result = metrics(
        prospect_messages=14,  # capped at 10
        has_email=True,  # 4
        tours=[("scheduled", "in_person", "")],  # booked 4 + intent 2
        event_counts={"answer_button_clicked": 7, "phone_call_clicked": 1, "incentive_accepted": 1},  # 5 + 3 + 2
        last_message_at=START + timedelta(minutes=5),  # long session: 2
    )
    assert result.engagement_points == 10 + 4 + 4 + 2 + 5 + 3 + 2 + 2
    assert result.engagement_score == "high"


def test_a_short_chat_is_low_and_abandoning_costs_points():
    light = metrics(prospect_messages=3, last_prospect_message_at=NOW - timedelta(minutes=5))
    assert (light.engagement_points, light.engagement_score) == (3, "low")
    gone = metrics(prospect_messages=6, last_prospect_message_at=NOW - timedelta(minutes=45))
    assert (gone.engagement_points, gone.engagement_score) == (4, "low")
    stayed = metrics(prospect_messages=6, last_prospect_message_at=NOW - timedelta(minutes=5))
    assert stayed.engagement_score == "medium"


def test_pre_lease_means_moving_in_more_than_sixty_days_out():
    assert metrics(move_in_date=date(2025, 5, 1)).pre_lease is True  # 61 days after 1 March
    assert metrics(move_in_date=date(2025, 4, 30)).pre_lease is False  # 60 days
    assert metrics().pre_lease is False


def test_tour_intent_is_asking_for_a_tour_or_booking_one():
    assert metrics(tour_requested=True).tour_intent is True
    assert metrics(tours=[("scheduled", "in_person", "")]).tour_intent is True
    assert metrics(prospect_messages=5).tour_intent is False


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"is_qualified": True, "tours": [("scheduled", "in_person", "")]}, True),
        ({"is_qualified": True, "tour_requested": True, "move_in_date": date(2025, 4, 15)}, True),
        ({"is_qualified": True, "tour_requested": True, "move_in_date": date(2025, 6, 15)}, False),
        ({"is_qualified": True, "tour_requested": True}, False),
        ({"is_qualified": False, "tours": [("scheduled", "in_person", "")]}, False),
        ({"is_qualified": True}, False),
    ],
    ids=[
        "qualified-booked",
        "qualified-asked-moving-soon",
        "asked-moving-late",
        "asked-no-date",
        "unqualified",
        "q-only",
    ],
)
def test_hot(inputs, expected):
    assert metrics(**inputs).hot is expected


def test_signed_is_a_tour_that_ended_in_a_lease():
    assert metrics(tours=[("completed", "in_person", "leased")]).signed is True
    assert metrics(tours=[("completed", "in_person", "applied")]).signed is False


def test_handoff_is_a_takeover_a_manager_message_or_a_request():
    assert metrics(taken_over=True).admin_handoff_triggered is True
    assert metrics(manager_messages=1).admin_handoff_triggered is True
    assert metrics(handoff_requested=True).admin_handoff_triggered is True
    assert metrics(prospect_messages=3, bot_messages=3).admin_handoff_triggered is False


def test_widget_counters_and_flags_come_from_its_events():
    result = metrics(
        event_counts={
            "answer_button_clicked": 2,
            "email_office_clicked": 1,
            "phone_call_clicked": 3,
            "widget_minimized": 4,
            "widget_session_ended": 1,
            "incentive_offered": 1,
            "incentive_expired": 1,
        }
    )
    assert (result.answer_button_clicks, result.email_office_clicked, result.phone_call_clicked) == (2, 1, 3)
    assert (result.widget_minimized, result.widget_session_ended) == (4, True)
    assert (result.incentive_offered, result.incentive_accepted, result.incentive_expired) == (True, False, True)
