def parse_input(serializer_class, request, *, instance=None, partial=False, **context) -> dict:
    """Validates a request body with an input serializer and returns its validated data."""
    serializer = serializer_class(instance, data=request.data, partial=partial, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
