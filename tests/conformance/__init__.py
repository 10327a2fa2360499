"""The differential suite: pybase and the real PocketBase answer the same generated requests."""
