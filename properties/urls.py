from core.api.routers import ApiRouter
from properties import views

router = ApiRouter()
router.register("properties", views.PropertyViewSet, basename="property")
router.register("property-managers", views.PropertyManagerViewSet, basename="property-manager")
urlpatterns = router.urls
