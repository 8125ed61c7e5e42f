"""Valeo ERP: a lean ERP core on FastAPI (identity, CRM, FIBU, Warenwirtschaft)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("valeo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
