"""Which service sends each kind of outbox item."""

from resman.models import OutboxKind
from resman.services import appointments, contacts, leads

HANDLERS = {
    OutboxKind.LEAD_PUSH: leads.handle_lead_push,
    OutboxKind.LEAD_STATUS: leads.handle_lead_status,
    OutboxKind.TOUR_BOOK: appointments.handle_tour_push,
    OutboxKind.TOUR_UPDATE: appointments.handle_tour_push,
    OutboxKind.TOUR_CANCEL: appointments.handle_tour_push,
    OutboxKind.CONTACT_MERGE: contacts.handle_contact_merge,
}
