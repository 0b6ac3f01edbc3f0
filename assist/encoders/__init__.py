"""Encoders: text to unit vectors. The protocol and model names (``base``), BLAS thread control
(``threads``), the models assist knows (``registry``), the embedded USE model (``usem/``) and its
sentence-transformers export (``st_module``).
"""
