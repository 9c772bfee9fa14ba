"""Routes of the conversations app (filled in by its issue)."""

urlpatterns: list = []
