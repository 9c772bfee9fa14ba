"""What the ResMan integration does when the chat and the tours app report something.

Handlers are cheap: they only queue an outbox item (the push itself runs in Celery), and they do
nothing for properties not linked to ResMan.
"""

import logging

from conversations.models import Prospect
from properties.models import Property
from resman.services import appointments, leads
from resman.services.common import property_configured
from tours.models import Tour

logger = logging.getLogger(__name__)


def on_lead_changed(*, prospect_id=None, property_id=None, conversation_id=None, **_) -> None:
    """lead.contact_captured / lead.updated: push the prospect's guest card."""
    if not prospect_id or not property_id:
        return
    property = Property.objects.select_related("company").filter(pk=property_id).first()
    prospect = Prospect.objects.filter(pk=prospect_id).first()
    if property is None or prospect is None or not property_configured(property):
        return
    if not (prospect.email or prospect.phone):
        return
    leads.lead_push(property=property, prospect=prospect, conversation_id=conversation_id)


def on_tour_changed(event: str):
    def handler(*, tour_id=None, **_) -> None:
        tour = Tour.objects.select_related("property__company").filter(pk=tour_id).first()
        if tour is None or not property_configured(tour.property):
            return
        if event == "tour.booked":
            appointments.tour_book(tour=tour)
        elif event == "tour.rescheduled":
            appointments.tour_update(tour=tour)
        else:
            appointments.tour_cancel(tour=tour, reason=tour.cancel_reason)

    handler.__qualname__ = f"on_{event.replace('.', '_')}"
    return handler
