"""The embedded multilingual Universal Sentence Encoder: weight loading (``loader``), the numpy forward
pass (``forward``) and its static distillation (``static``).
"""
