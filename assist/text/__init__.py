"""Customer text in: normalising an utterance for search, redacting personal data by shape, and reading
data files of utterances.
"""
