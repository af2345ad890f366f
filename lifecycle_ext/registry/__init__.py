"""The application layer: the registry service, its read-side views and the composition root."""
