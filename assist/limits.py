"""Documented operating limits. Past them assist raises a clear, typed error."""

MAX_UTTERANCE_CHARS = 2_000
"""A lookup or draft check longer than this is refused (a live-call utterance is
a sentence or two; a pasted e-mail thread should be trimmed to its request)."""

MAX_LIBRARY_FILE_BYTES = 5_000_000
"""One YAML file of scripts or rules."""

MAX_EXAMPLES = 1_000_000
"""Examples in one library (the index is tested up to 100k)."""

MAX_TEXT_FIELD_CHARS = 2_000
"""One empathy, solution preview, step, escalation line or example."""
