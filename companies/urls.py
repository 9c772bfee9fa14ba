from companies import views
from core.api.routers import ApiRouter

router = ApiRouter()
router.register("companies", views.CompanyViewSet, basename="company")
urlpatterns = router.urls
