"""Serving lookups: the HTTP API and console (``http``) and JSON lines over stdin/stdout (``stdio``),
both thin over the library.
"""
