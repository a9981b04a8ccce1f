"""Coordinations that NLM annotates as one reaction per conjunct, the shared words repeated.

    Rash (includes generalized, macular)      -> "rash generalized", "rash macular"
    injection site reaction (numbness, ...)   -> "injection site numbness", ...
    bacterial, viral, and fungal infections   -> "bacterial infections", "viral infections", ...
    swelling of the lips, tongue, or throat   -> "swelling of the tongue", ...
    elevations in ALT or AST                  -> "elevations in alt", "elevations in ast"
    injection or infusion site reactions including phlebitis and pain
                                              -> "injection site phlebitis", "infusion site pain", ...

Each expansion is a Mention whose span covers the shared words and the conjunct (so its text is
verbatim) and whose term is the joined string NLM writes for a discontinuous mention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mabdata.adr.text import key_of

if TYPE_CHECKING:
    from mabdata.adr.engine import Doc
    from mabdata.adr.lexicon import Lexicon

# first token, end token, term, kind, origin ("coord", or "coord_weak" for a joined string no lexicon knows)
Expansion = tuple[int, int, str, str, str]

_SEP = frozenset({",", "and", "or", "/"})
_INTRO = frozenset({"include", "including", "includes", "e", "g", "such", "as", "i", "ie", "eg", "."})


def _word(doc: Doc, k: int) -> str:
    return doc.word(k).lower()


def _phrase(doc: Doc, i: int, e: int) -> str:
    """Lowercased words i..e joined by single spaces (hyphens kept where the text has them)."""
    s, t = doc.span(i, e)
    return " ".join(doc.text[s:t].lower().split())


def _conjuncts(doc: Doc, k: int, hi: int, max_words: int) -> tuple[list[tuple[int, int]], int]:
    """Short word runs separated by list separators from token k on: ([(i, e), ...], index after the last)."""
    items: list[tuple[int, int]] = []
    cur = k
    j = k
    while j < hi:
        w = doc.keys[j]
        if w in _SEP:
            if j > cur:
                items.append((cur, j))
            cur = j + 1
        elif not w.isalpha() or j - cur >= max_words:
            break
        j += 1
    if j > cur:
        items.append((cur, j))
    return items, j


def _is_adjective(lex: Lexicon, w: str) -> bool:
    return w.endswith(tuple(lex.rules["coordination"]["adjective_suffixes"]))


def _known_term(lex: Lexicon, term: str) -> bool:
    entry = lex.terms.get(key_of(term))
    return entry is not None and entry.kind != "stop"


def _site_items(doc: Doc, k: int, max_words: int) -> list[tuple[int, int]]:
    """Items of a list from token k to where the list ends (clause punctuation, a cross-reference,
    "etc"): word runs between separators, counts in brackets skipped. A run longer than max_words
    is prose, not an item, and ends the list."""
    keys, n = doc.keys, len(doc.keys)
    items: list[tuple[int, int]] = []
    cur = j = k
    while j < n:
        w = keys[j]
        if w in _SEP or w == "(":
            if j > cur:
                items.append((cur, j))
            if w == "(":  # "erythema (1.7 %)": a count, not an item
                close = next((c for c in range(j + 1, min(n, j + 8)) if keys[c] == ")"), -1)
                if close < 0 or not any(x[:1].isdigit() for x in keys[j + 1 : close]):
                    return items
                j = close
            cur = j + 1
        elif j - cur >= max_words:
            return items
        elif not w.isalpha() or w == "etc":
            break
        j += 1
    if j > cur:
        items.append((cur, j))
    return items


def _site_list(doc: Doc, lex: Lexicon, i: int, e: int) -> list[Expansion]:
    """ "injection or infusion site reactions including phlebitis, pruritus, and pain": one reaction per item and site."""
    cfg = lex.rules["coordination"]
    keys, n = doc.keys, len(doc.keys)
    k = e + 1 if e < n and keys[e] in (",", "(") else e
    k += 1 if k < n and keys[k] in ("were", "was", "are", "is") else 0
    for intro in cfg["site_list_intros"]:
        if keys[k : k + len(intro)] == intro:
            k += len(intro)
            break
    else:
        return []
    while k < n and keys[k] in (".", ","):  # "e.g.," leaves its points behind
        k += 1
    site = _phrase(doc, i, e - 1)
    heads = [(i, site)]
    if i >= 2 and keys[i - 1] in ("or", "and") and keys[i - 2].isalpha():  # "injection or infusion site reactions"
        alt = f"{_word(doc, i - 2)} {_phrase(doc, i + 1, e - 1)}"
        if _known_term(lex, f"{alt} {_word(doc, e - 1)}"):  # not "creatinine increased and injection site reactions"
            heads.append((i - 2, alt))
    drop = set(cfg["site_item_drop"])
    out: list[Expansion] = []
    for a, b in _site_items(doc, k, cfg["site_item_max_words"]):
        while a < b and keys[a] in drop:  # "local pruritus", "site inflammation", "injection site erythema"
            a += 1
        if a == b:
            continue
        for start, head in heads:
            out.append((start, b, f"{head} {_phrase(doc, a, b)}", "reaction", "coord"))
    return out


def expand(
    doc: Doc, lex: Lexicon, spans: list[tuple[int, int, str]], weak: frozenset[int] = frozenset()
) -> tuple[list[Expansion], set[int]]:
    """Expansions, and the first tokens of spans they replace (the conjuncts of "injection site reaction (...)").

    weak: first tokens of spans taken only because they stand in a list ("tongue" in "swelling of
    the lips, tongue, or throat"); they may be conjuncts of a coordination.
    """
    out: list[Expansion] = []
    consumed: set[int] = set()
    n = len(doc.keys)
    cfg = lex.rules["coordination"]
    generic = set(cfg["generic_heads"])
    site_words = set(cfg["site_words"])
    starts = {i for i, _, _ in spans}
    covered = {k for i, e, _ in spans if i not in weak for k in range(i, e)}
    for i, e, kind in spans:
        # 1. head (mod, mod, ...): "Rash (includes generalized, macular)", "injection site reaction (numbness, ...)"
        if e < n and doc.keys[e] == "(":
            k = e + 1
            while k < n and doc.keys[k] in _INTRO:
                k += 1
            items, after = _conjuncts(doc, k, n, 2)
            # "injection site reaction (...)" shares "injection site"; "Rash (generalized, ...)" shares a one-word head
            generic_head = doc.keys[e - 1] in generic and e - 2 > i and doc.keys[e - 2] in site_words
            intro = k > e + 1
            if (
                after < n
                and doc.keys[after] == ")"
                and (len(items) >= 2 or intro)
                and all(doc.text[doc.starts[a]].islower() for a, _ in items)  # not "(PML)"
                and (generic_head or (e - i == 1 and all(b - a == 1 and a not in starts for a, b in items)))
            ):
                head = _phrase(doc, i, e - 1 if generic_head else e)
                for a, b in items:
                    out.append((i, b, f"{head} {_phrase(doc, a, b)}", kind, "coord"))
                    consumed.add(a)
        # 2. prefix shared by a list: "elevations in ALT or AST", "swelling of the lips, tongue, or throat"
        if e - i >= 2 and e < n and doc.keys[e] in _SEP:
            pre_e = e - 1
            if kind == "lab_abnormality":
                pre = [b for b, _ in lex.lab_pre.ends(doc.keys, i, e)]
                pre_e = max(pre) if pre else i
            if pre_e > i and (kind == "lab_abnormality" or doc.keys[pre_e - 1] in ("of", "the", "in")):
                items, _ = _conjuncts(doc, e + 1, doc.stop[i], 4)
                head = _phrase(doc, i, pre_e)
                for a, b in items:
                    if a in covered:  # the next mention, not a conjunct: "increased ALT, ALT increased"
                        break
                    if a in weak:
                        consumed.add(a)
                    if kind == "lab_abnormality":  # the conjunct starts with an analyte: "ALT or AST greater than 5 x ULN"
                        ends = [x for x, _ in lex.analytes.ends(doc.keys, a, b)]
                        if ends:
                            out.append((i, ends[-1], f"{head} {_phrase(doc, a, ends[-1])}", kind, "coord"))
                    elif _known_term(lex, term := f"{head} {_phrase(doc, a, a + 1)}"):
                        out.append((i, a + 1, term, kind, "coord"))
                    elif b - a == 1:  # "swelling of the lips, tongue": no lexicon has "swelling of the tongue"
                        out.append((i, b, term, kind, "coord_weak"))
        # 3. modifiers sharing a head: "bacterial, viral, and fungal infections", "muscle or joint aches"
        if e - i == 2 and i >= 2 and doc.keys[i - 1] in _SEP and not _is_adjective(lex, doc.keys[e - 1]):
            head = _phrase(doc, e - 1, e)
            k = i - 1
            mods: list[int] = []
            while k >= 1 and doc.keys[k] in _SEP:
                while k >= 1 and doc.keys[k] in _SEP:
                    k -= 1
                if doc.keys[k].isalpha() and k not in covered:
                    mods.append(k)
                    k -= 1
                else:
                    break
            parallel = _is_adjective(lex, doc.keys[i])
            for m in mods:
                term = f"{_word(doc, m)} {head}"
                if (parallel and _is_adjective(lex, doc.keys[m])) or _known_term(lex, term):
                    out.append((m, e, term, kind, "coord"))
        # 4. alternatives of the head after a slash: "atrial fibrillation/flutter", "muscle spasms/twitching"
        if e - i >= 2 and e + 1 < n and doc.keys[e] == "/" and kind == "reaction":
            head = _phrase(doc, i, e - 1)
            k = e
            while k + 1 < n and doc.keys[k] == "/" and doc.keys[k + 1].isalpha() and k + 1 not in starts:
                term = f"{head} {_word(doc, k + 1)}"
                out.append((i, k + 2, term, kind, "coord" if _known_term(lex, term) else "coord_weak"))
                k += 2
        # 5. a site-reaction head and the list that says what the reactions were
        if e - i >= 2 and doc.keys[e - 1] in generic and doc.keys[e - 2] in site_words:
            for x in _site_list(doc, lex, i, e):
                out.append(x)
                # the items, and the other site word ("injection" of "injection or infusion site"), are not reactions
                consumed.update(k for k in starts if x[0] <= k < x[1] and not i <= k < e)
    return out, consumed
