"""Storage: backends behind the :class:`~lifecycle_ext.storage.ports.Storage` port, content-addressed
blobs, zarr layout of artifacts and the hash-chained event log."""
