"""ccat: keep one GitHub Actions secret right across a whole organisation."""

__version__ = "0.1.0"
