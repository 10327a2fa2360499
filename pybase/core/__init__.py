"""The domain: collections, records, auth and the hook pipeline. Knows nothing about HTTP."""
