"""The ResMan integration's services, by the spec's interfaces:

ResManLeadSyncAPI (resman.services.leads)
    pushLead -> lead_push, updateLead -> lead_update, pullLead -> lead_pull,
    pullLeadUpdates -> lead_pull_updates, resolveConflict -> conflict_resolve;
    also lead_status_set (Cancel / ReActivate) and property_poll (the beat poller).
ResManTourBookingAPI (resman.services.appointments)
    bookTour -> tour_book, updateTour -> tour_update, cancelTour -> tour_cancel,
    getTourAvailability -> tour_availability, syncTourChanges -> tour_changes_sync.
ResManContactManagementAPI (resman.services.contacts)
    syncContact -> contact_sync, updateContact -> contact_update, mergeContacts -> contacts_merge,
    getContact -> contact_get, getContactUpdates -> contact_updates.
ResManUnitAvailabilityAPI (resman.services.units, reads in resman.selectors)
    getUnitAvailability -> selectors.units_available, getUnitPricing -> selectors.unit_pricing,
    syncUnitData -> units_sync, scheduleSync -> units_schedule_sync.

Writes to ResMan leave through the outbox (resman.services.outbox); reads from ResMan, by poll or by
webhook, enter through one ingestion path (resman.services.ingestion).
"""
