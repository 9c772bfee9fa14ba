"""Routes of the faqs app (filled in by its issue)."""

urlpatterns: list = []
