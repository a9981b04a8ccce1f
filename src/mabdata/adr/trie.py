"""A token trie: longest-match lookup of normalized token sequences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_END = ""  # normalized tokens are never empty, so "" can mark where a phrase ends


class Trie:
    def __init__(self) -> None:
        self.root: dict[str, Any] = {}
        self.size = 0

    def add(self, key: Sequence[str], value: Any) -> None:
        if not key:
            return
        node = self.root
        for k in key:
            node = node.setdefault(k, {})
        if _END not in node:
            self.size += 1
        node[_END] = value

    def get(self, key: Sequence[str]) -> Any:
        node = self.root
        for k in key:
            node = node.get(k)
            if node is None:
                return None
        return node.get(_END)

    def __contains__(self, key: Sequence[str]) -> bool:
        return self.get(key) is not None

    def ends(self, keys: Sequence[str], i: int, stop: int) -> list[tuple[int, Any]]:
        """(end, value) of every phrase starting at keys[i] and ending at most at stop, shortest first."""
        node = self.root
        out = []
        j = i
        while j < stop:
            node = node.get(keys[j])
            if node is None:
                break
            j += 1
            if _END in node:
                out.append((j, node[_END]))
        return out
