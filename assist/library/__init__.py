"""The script library: safe YAML loading and validation of ``scripts_library/``, and importing labelled
data as a library.
"""
