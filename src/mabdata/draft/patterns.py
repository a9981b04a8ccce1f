"""The recognizers' cue words and patterns, read from the YAML and TSV files in data/.

Every rule a recognizer applies that names words (cues, units, section names, furniture) lives
in data/; the modules beside this one hold only the logic that combines them.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

DATA = Path(str(resources.files("mabdata.draft") / "data"))


@cache
def data(name: str) -> dict[str, Any]:
    """The parsed data/<name>.yaml."""
    return yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))


@cache
def rx(name: str, key: str, flags: int = re.I) -> re.Pattern[str]:
    """data/<name>.yaml's pattern `key` compiled (a list of patterns is one alternation)."""
    value = data(name)[key]
    if isinstance(value, list):
        value = "|".join(f"(?:{v})" for v in value)
    return re.compile(value, flags)


@cache
def ordered(name: str, key: str, flags: int = re.I) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """A list of [label, pattern] pairs (first match wins) or a mapping label -> pattern, compiled."""
    value = data(name)[key]
    pairs = value.items() if isinstance(value, dict) else value
    return tuple((label, re.compile(p, flags)) for label, p in pairs)


def first_label(pairs: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    """The label of the first pattern that occurs in text."""
    return next((label for label, p in pairs if p.search(text)), None)


def words(phrases: list[str]) -> str:
    """A regex alternation of literal phrases, longest first (so "fully human" wins over "human")."""
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


@cache
def tsv(name: str) -> tuple[dict[str, str], ...]:
    """data/<name>.tsv as rows; lines starting with # are comments."""
    with open(DATA / f"{name}.tsv", encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    return tuple(csv.DictReader(lines, delimiter="\t"))


WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "eighteen": 18,
}


def number(token: str | None) -> float | None:
    """A number written in digits (with thousands commas) or in words, else None."""
    if token is None:
        return None
    t = token.strip().lower().replace(",", "")
    if t in WORD_NUMBERS:
        return float(WORD_NUMBERS[t])
    try:
        return float(t)
    except ValueError:
        return None


def integral(value: float | None) -> int | float | None:
    """3.0 -> 3 so YAML shows what the source wrote; 0.5 stays a float."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
