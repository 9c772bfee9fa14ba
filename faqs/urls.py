from core.api.routers import ApiRouter
from faqs import views

router = ApiRouter()
router.register("faqs", views.FaqViewSet, basename="faq")
router.register("tasks", views.TaskViewSet, basename="task")
urlpatterns = router.urls
