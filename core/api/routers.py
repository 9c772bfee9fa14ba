from rest_framework.routers import SimpleRouter


class ApiRouter(SimpleRouter):
    """Routes as the spec writes them (`/api/properties/:id`), with a trailing slash tolerated."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
