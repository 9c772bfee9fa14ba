"""Live analytics on `WS /api/ws/analytics/:propertyId`, sent after the transaction commits.

The group `analytics.<property id>` holds the sockets of the staff who may read that property.
"""

from conversations.realtime import send_after_commit


def property_group(property_id) -> str:
    return f"analytics.{property_id}"


def broadcast_record(payload: dict) -> None:
    """One conversation's record changed."""
    send_after_commit(
        property_group(payload["property_id"]), {"type": "analytics.event", "event": "analytics", "analytics": payload}
    )


def broadcast_recalculated(*, property_id, conversations: int) -> None:
    """A bulk recalculation finished: dashboards reload instead of receiving a frame per record."""
    send_after_commit(
        property_group(property_id),
        {
            "type": "analytics.event",
            "event": "recalculated",
            "property_id": str(property_id),
            "conversations": conversations,
        },
    )
