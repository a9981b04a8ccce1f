"""Where the project's inputs and the published package live."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout (editable install) the project root is two levels above src/mabdata.
_CHECKOUT_ROOT = _PACKAGE_DIR.parents[1]


def project_root() -> Path:
    """The checkout holding seeds/, schema/ and datapackage/ (build inputs and output)."""
    return _CHECKOUT_ROOT


def schema_dir() -> Path:
    """schema/ of the checkout, else the copy shipped inside the wheel."""
    checkout = _CHECKOUT_ROOT / "schema"
    if (checkout / "package.yaml").is_file():
        return checkout
    return Path(str(resources.files("mabdata") / "_data" / "schema"))


def default_package_dir() -> Path:
    """datapackage/ of the checkout, else the copy shipped inside the wheel."""
    checkout = _CHECKOUT_ROOT / "datapackage"
    if (checkout / "datapackage.json").is_file():
        return checkout
    return Path(str(resources.files("mabdata") / "_data" / "datapackage"))


def lexicon_dir() -> Path:
    """reference/lexicon of the checkout (whole-vocabulary name lists), else the wheel's copy."""
    checkout = _CHECKOUT_ROOT / "reference" / "lexicon"
    if (checkout / "diseases.tsv").is_file():
        return checkout
    return Path(str(resources.files("mabdata") / "_data" / "lexicon"))
