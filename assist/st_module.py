"""Alias of :mod:`assist.encoders.st_module` for models exported before the package had subpackages.

Their ``modules.json`` names ``assist.st_module.UsemModule`` or ``...UsemStaticModule``;
sentence-transformers imports that path, so it must keep resolving.
"""

from assist.encoders.st_module import UsemModule, UsemStaticModule

__all__ = ["UsemModule", "UsemStaticModule"]
