"""Generic building blocks that know nothing about pybase's domain."""
