"""Compliance: the rule pack (agent-draft and customer-signal rules), checks of scripts and drafts, and
the validated-library snapshot.
"""
