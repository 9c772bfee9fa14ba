from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True, soft_time_limit=600, time_limit=660)
def reindex_faqs(company_id: str, property_id: str | None, force: bool = False) -> int:
    """Stores the vectors of a property's FAQs (with its company's shared ones), or of a whole
    company's. Idempotent: a repeated run finds nothing stale (or, forced, recomputes the same)."""
    from faqs.services import faqs_reindex, reindex_queryset_for
    from properties.models import Property

    if property_id is not None:
        property_ = Property.objects.filter(pk=property_id, company_id=company_id).first()
        if property_ is None:
            return 0
        return faqs_reindex(queryset=reindex_queryset_for(property=property_), force=force)
    return faqs_reindex(queryset=reindex_queryset_for(company_id=company_id), force=force)
