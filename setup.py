"""The package list, which pyproject.toml cannot state: every ``assist*`` package plus the
shipped library. ``scripts_library/`` stays at the repository root under version control; a
wheel carries it inside the package as ``assist/_library`` (found by
:data:`assist.library.loader.SHIPPED_LIBRARY` in an installed package and in a checkout alike).
Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["assist", "assist.*"]), "assist._library"],
    package_dir={"assist._library": "scripts_library"},
)
