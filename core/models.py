import uuid

from django.db import models


class TimeStampedModel(models.Model):
    """UUID primary key (every model the API exposes has one) and creation/update times."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AliveManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(TimeStampedModel):
    """Deleted rows stay (with their leads and history) but vanish from the default manager."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AliveManager()
    all_objects = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True
        base_manager_name = "all_objects"
