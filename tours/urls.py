"""Routes of the tours app (filled in by its issue)."""

urlpatterns: list = []
