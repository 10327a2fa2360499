"""Persistence: connections, the single writer, system tables and schema changes."""
