"""Evidence browser: a static HTML site showing every claim beside the sentences that state it.

    mabdata export site --out DIR

- sources/<source_id>/<page>.html: the source text, one page per top-level label section (a
  web monograph is one page, `text`), so even the largest label stays light. Every quoted
  span is highlighted. The text is cut at every quote boundary into flat, non-overlapping
  segments, so overlapping quotes need no nesting; a quote is always a run of consecutive
  segments. Opening `#ev=<evidence_id>` wraps that run in one element (its text is exactly the
  quote) and shows its claim; clicking any highlight lists every claim it supports, and each
  claim lists all its quotes (links to their pages), with the claim's corroboration when a web
  monograph's claim was compared with an FDA label.
- sources/<source_id>/index.html: the pages of a source with their claim counts.
- tables/<table>.html: each table, filterable and sortable, rendered in pages of rows from
  embedded JSON; each claim row links to every one of its quotes.
- index.html: counts per table and per drug, and the figures (SVG, drawn here, no library).
No network, no CDN: plain HTML, CSS and a little vanilla JavaScript.
"""

from __future__ import annotations

import html
import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from mabdata import figures
from mabdata import schemas as schema

CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#222}
header{background:#123;color:#fff;padding:.6em 1.2em}header a{color:#cde;margin-right:1em}
main{padding:1em 1.2em;max-width:86em}
pre.doc{white-space:pre-wrap;font:15px/1.6 Georgia,serif;background:#fafafa;padding:1em;border:1px solid #ddd}
mark{background:#fde68a;cursor:pointer}mark.d2{background:#fcd34d}mark.d3{background:#fbbf24}
.target{outline:3px solid #dc2626;background:#fecaca}
#panel{position:fixed;right:1em;bottom:1em;width:34em;max-height:50vh;overflow:auto;background:#fff;
border:1px solid #999;box-shadow:0 2px 8px #0003;padding:.6em;font-size:13px;display:none;overflow-wrap:anywhere}
table.data{border-collapse:collapse;font-size:13px}table.data td,table.data th{border:1px solid #ccc;padding:2px 5px;
vertical-align:top}table.data th{background:#eee;cursor:pointer;position:sticky;top:0}
.row{border-top:1px solid #ddd;margin-top:.4em;padding-top:.4em}.k{color:#666}.inferred{color:#b45309}
input#filter{width:30em;padding:4px;margin:.5em 0}nav.pages button{margin:0 .2em}
"""

SOURCE_JS = """
const DATA = JSON.parse(document.getElementById('data').textContent);
const panel = document.getElementById('panel');
function el(tag, text, cls) {
  const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e;
}
function claimBox(cid) {
  const c = DATA.claims[cid];
  const div = el('div', null, 'row');
  const h = el('b'); const a = el('a', c.table + ' ' + cid);
  a.href = '../../tables/' + c.table + '.html#' + encodeURIComponent(cid); h.appendChild(a); div.appendChild(h);
  div.appendChild(el('div', c.summary));
  if (c.support === 'inferred') div.appendChild(el('div', 'support: inferred (some fields from context)', 'inferred'));
  if (c.corroboration) div.appendChild(el('div', 'FDA label: ' + c.corroboration, 'k'));
  const q = el('div', c.quotes.length + ' quote(s): ', 'k');
  c.quotes.forEach((link, i) => { const l = el('a', String(i + 1)); l.href = link; q.append(l, ' '); });
  div.appendChild(q);
  return div;
}
function show(evids) {
  panel.innerHTML = '';
  const seen = new Set();
  for (const id of evids) {
    const e = DATA.evidence[id]; if (!e || seen.has(e.claim)) continue; seen.add(e.claim);
    const box = claimBox(e.claim);
    if (e.inferred) box.appendChild(el('div', 'this quote: ' + e.inferred + ' inferred', 'inferred'));
    if (e.note) box.appendChild(el('div', 'note: ' + e.note, 'k'));
    panel.appendChild(box);
  }
  panel.style.display = seen.size ? 'block' : 'none';
}
function clearTarget() { const old = document.getElementById('target'); if (old) old.replaceWith(...old.childNodes); }
function focusEvidence() {
  clearTarget();
  const m = decodeURIComponent(location.hash).match(/^#ev=(.+)$/);
  if (!m || !DATA.evidence[m[1]]) return;
  const e = DATA.evidence[m[1]];
  const segs = [...document.querySelectorAll('pre.doc > [data-s]')].filter(s => +s.dataset.s >= e.start && +s.dataset.e <= e.end);
  if (!segs.length) return;
  const wrap = el('span', null, 'target'); wrap.id = 'target'; wrap.dataset.ev = m[1];
  segs[0].before(wrap); for (const s of segs) wrap.appendChild(s);
  wrap.scrollIntoView({block: 'center'});
  show([m[1]]);
}
document.querySelector('pre.doc').addEventListener('click', ev => {
  const m = ev.target.closest('mark'); if (m) show(m.dataset.ev.split(' '));
});
window.addEventListener('hashchange', focusEvidence);
focusEvidence();
"""

TABLE_JS = """
const DATA = JSON.parse(document.getElementById('data').textContent);
const PAGE = 100;
let rows = DATA.rows, page = 0, sortCol = -1, asc = true;
const body = document.querySelector('table.data tbody');
function render() {
  body.innerHTML = '';
  for (const r of rows.slice(page * PAGE, (page + 1) * PAGE)) {
    const tr = document.createElement('tr'); tr.id = r[0];
    if (DATA.links) {
      const td = document.createElement('td');
      (DATA.links[r[0]] || []).forEach((href, i) => { const a = document.createElement('a'); a.href = href;
        a.className = 'evidence'; a.textContent = String(i + 1); td.append(a, ' '); });
      tr.appendChild(td);
    }
    for (const v of r.slice(1)) {
      const td = document.createElement('td'); td.textContent = v === null ? '' : String(v); tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  document.getElementById('pageinfo').textContent =
    `rows ${rows.length ? page * PAGE + 1 : 0}-${Math.min(rows.length, (page + 1) * PAGE)} of ${rows.length}`;
}
document.getElementById('filter').addEventListener('input', ev => {
  const q = ev.target.value.toLowerCase();
  rows = q ? DATA.rows.filter(r => r.some(v => v !== null && String(v).toLowerCase().includes(q))) : DATA.rows;
  page = 0; render();
});
document.getElementById('prev').onclick = () => { if (page > 0) { page--; render(); } };
document.getElementById('next').onclick = () => { if ((page + 1) * PAGE < rows.length) { page++; render(); } };
document.querySelector('table.data thead').addEventListener('click', ev => {
  const th = ev.target.closest('th'); if (!th || th.dataset.col === undefined) return;
  const i = +th.dataset.col; asc = sortCol === i ? !asc : true; sortCol = i;
  const num = th.dataset.type === 'number' || th.dataset.type === 'integer';
  rows = [...rows].sort((a, b) => { const x = a[i], y = b[i];
    const c = num ? (x ?? -Infinity) - (y ?? -Infinity) : String(x ?? '').localeCompare(String(y ?? ''));
    return asc ? c : -c; });
  page = 0; render();
});
function jump() {  // #<id> opens the page holding that row
  const id = decodeURIComponent(location.hash.slice(1)); if (!id) return;
  rows = DATA.rows; const i = rows.findIndex(r => r[0] === id); if (i < 0) return;
  page = Math.floor(i / PAGE); render();
  const tr = document.getElementById(id); if (tr) { tr.classList.add('target'); tr.scrollIntoView({block: 'center'}); }
}
window.addEventListener('hashchange', jump);
render(); jump();
"""


def _page(title: str, body: str, depth: int, script: str = "") -> str:
    up = "../" * depth
    nav = f'<a href="{up}index.html">mabdata evidence</a>' + "".join(
        f'<a href="{up}tables/{t}.html">{t}</a>' for t in schema.table_names()
    )
    js = f"<script>{script}</script>" if script else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><header>{nav}</header><main>{body}</main>{js}</body></html>\n"
    )


def _json_script(payload: Any) -> str:
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="data">{data}</script>'


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def _pages(tables: dict[str, pd.DataFrame]) -> dict[str, list[tuple[str, int, int]]]:
    """(page, start, end) of each source: its top-level label sections, or the whole text."""
    out: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    sec = tables["source_sections"]
    top = sec[sec["parent_section"].isna()].astype(object)
    for sid, group in top.groupby("source_id"):
        spans: dict[str, list[int]] = {}
        for r in group.to_dict("records"):
            span = spans.setdefault(r["section"], [r["section_start"], r["section_end"]])
            span[0], span[1] = min(span[0], r["section_start"]), max(span[1], r["section_end"])
        out[sid] = sorted(((name, a, b) for name, (a, b) in spans.items()), key=lambda p: p[1])
    for sid, chars in zip(tables["sources"]["source_id"], tables["sources"]["characters"], strict=True):
        out.setdefault(sid, [("text", 0, int(chars))])
    return out


def _page_of(pages: list[tuple[str, int, int]], start: int) -> str:
    for name, a, b in pages:
        if a <= start < b:
            return name
    return pages[0][0]


def claim_summary(table: str, row: dict[str, Any]) -> str:
    """One line naming a claim's natural-key values (what makes it this claim)."""
    parts = []
    for col in schema.natural_key(table):
        value = row.get(col)
        if col == "steps" or value is None:
            continue
        parts.append(f"{col}={value}")
    return "; ".join(parts)


def _claims(tables: dict[str, pd.DataFrame], links: dict[str, list[str]], corroboration: dict[str, str]) -> dict[str, Any]:
    out = {}
    for table in schema.claim_tables():
        pk = schema.primary_key(table)[0]
        for rec in tables[table].astype(object).to_dict("records"):
            row = {k: _jsonable(v) for k, v in rec.items()}
            out[row[pk]] = {
                "table": table,
                "summary": claim_summary(table, row),
                "support": row["support"],
                "quotes": links.get(row[pk], []),
                "corroboration": corroboration.get(row[pk]),
            }
    return out


def render_source_page(source_id: str, page: str, text: str, offset: int, items: list[dict[str, Any]], claims: dict) -> str:
    """One page of a source: `text` is the page's slice, starting at `offset` in the source."""
    end = offset + len(text)
    cuts = sorted({offset, end, *(max(offset, e["start"]) for e in items), *(min(end, e["end"]) for e in items)})
    claim_of = {e["id"]: e["claim"] for e in items}
    parts = []
    for a, b in itertools.pairwise(cuts):
        if a == b:
            continue
        cover = [e["id"] for e in items if e["start"] <= a and b <= e["end"]]
        seg = html.escape(text[a - offset : b - offset])
        if cover:
            depth = min(len({claim_of[e] for e in cover}), 3)
            parts.append(f'<mark data-s="{a}" data-e="{b}" class="d{depth}" data-ev="{" ".join(cover)}">{seg}</mark>')
        else:
            parts.append(f'<span data-s="{a}" data-e="{b}">{seg}</span>')
    used = {e["claim"] for e in items}
    payload = {
        "evidence": {e["id"]: {k: e[k] for k in ("start", "end", "claim", "inferred", "note")} for e in items},
        "claims": {cid: claims[cid] for cid in sorted(used)},
    }
    body = (
        f'<p><a href="index.html">{html.escape(source_id)}</a></p><h1>{html.escape(page)}</h1>'
        f"<p>{len(items)} quotes on this page support {len(used)} claims. Click a highlight to see them.</p>"
        f'<pre class="doc">{"".join(parts)}</pre><div id="panel"></div>{_json_script(payload)}'
    )
    return _page(f"{source_id} {page}", body, 2, SOURCE_JS)


def render_table(name: str, df: pd.DataFrame, links: dict[str, list[str]] | None) -> str:
    fields = schema.fields(name)
    pk = schema.primary_key(name)
    head = "".join(
        f'<th data-col="{i + 1}" data-type="{f["type"]}" title="{html.escape(f.get("description", ""))}">{f["name"]}</th>'
        for i, f in enumerate(fields)
    )
    rows = []
    for rec in df.astype(object).to_dict("records"):
        key = "/".join(str(rec[c]) for c in pk)
        rows.append([key, *(_jsonable(rec[f["name"]]) for f in fields)])
    payload: dict[str, Any] = {"rows": rows}
    if links is not None:
        payload["links"] = {r[0]: links.get(r[0], []) for r in rows}
    body = (
        f"<h1>{name}</h1><p>{html.escape(schema.table(name).get('description', ''))}</p>"
        f'<input id="filter" placeholder="filter rows"> <nav class="pages"><button id="prev">previous</button>'
        f'<span id="pageinfo"></span><button id="next">next</button></nav><table class="data"><thead><tr>'
        f"{'<th>quotes</th>' if links is not None else ''}{head}</tr></thead><tbody></tbody></table>{_json_script(payload)}"
    )
    return _page(name, body, 1, TABLE_JS)


def render_index(tables: dict[str, pd.DataFrame]) -> str:
    counts = "".join(
        f'<tr><td><a href="tables/{t}.html">{t}</a></td><td>{len(tables[t])}</td></tr>' for t in schema.table_names()
    )
    per_drug: Counter = Counter()
    for t in schema.claim_tables():
        per_drug.update(tables[t]["drug_id"].astype(str))
    drugs = "".join(f"<tr><td>{html.escape(d)}</td><td>{n}</td></tr>" for d, n in sorted(per_drug.items()))
    n_claims = sum(len(tables[t]) for t in schema.claim_tables())
    sources = "".join(
        f'<li><a href="sources/{s}/index.html">{html.escape(t)}</a> ({k})</li>'
        for s, t, k in zip(tables["sources"]["source_id"], tables["sources"]["title"], tables["sources"]["kind"], strict=True)
    )
    body = (
        f"<h1>mabdata evidence browser</h1><p>{n_claims} claims supported by {len(tables['evidence'])} quotes from "
        f"{len(tables['sources'])} sources; every quote is highlighted in its source.</p>"
        + "".join(f'<h2>{html.escape(title)}</h2><img src="{name}" alt="{html.escape(title)}">' for name, title in FIGURES)
        + f'<h2>Rows per table</h2><table class="data"><tr><th>table</th><th>rows</th></tr>{counts}</table>'
        f'<h2>Claims per drug</h2><table class="data"><tr><th>drug</th><th>claims</th></tr>{drugs}</table>'
        f"<h2>Sources</h2><ul>{sources}</ul>"
    )
    return _page("mabdata evidence browser", body, 0)


FIGURES = (
    ("overview.svg", "Drugs, their targets and their approved conditions"),
    ("adverse_events.svg", "Most common adverse reactions by drug (FDA labels)"),
    ("hazard_ratios.svg", "Hazard ratios of the pivotal studies (FDA labels)"),
)


def export_site(pkg: Path, out: Path) -> dict[str, int]:
    """Write the site; returns counts (claims, quotes, pages, distinct highlighted spans) for reporting."""
    import mabdata

    tables = mabdata.load_all(path=pkg)
    pages = _pages(tables)
    ev = tables["evidence"].astype(object)
    items: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    links: dict[str, list[str]] = defaultdict(list)
    for r in ev.to_dict("records"):
        page = _page_of(pages[r["source_id"]], int(r["quote_start"]))
        items[(r["source_id"], page)].append(
            {
                "id": r["evidence_id"],
                "start": int(r["quote_start"]),
                "end": int(r["quote_end"]),
                "claim": r["claim_id"],
                "inferred": _jsonable(r["inferred_fields"]),
                "note": _jsonable(r["curation_note"]),
            }
        )
        links[r["claim_id"]].append(f"../sources/{r['source_id']}/{page}.html#ev={r['evidence_id']}")
    corroboration = {}
    if "corroborations" in tables:
        for r in tables["corroborations"].astype(object).to_dict("records"):
            corroboration[r["claim_id"]] = r["judgement"] + (
                f" ({r['label_claim_id']})" if _jsonable(r["label_claim_id"]) else ""
            )
    claims = _claims(tables, {k: [h.replace("../", "../../", 1) for h in v] for k, v in links.items()}, corroboration)

    (out / "tables").mkdir(parents=True, exist_ok=True)
    for sid, rel in zip(tables["sources"]["source_id"], tables["sources"]["path"], strict=True):
        text = (pkg / rel).read_bytes().decode("utf-8")
        folder = out / "sources" / sid
        folder.mkdir(parents=True, exist_ok=True)
        listing = []
        for page, a, b in pages[sid]:
            its = items.get((sid, page), [])
            (folder / f"{page}.html").write_text(render_source_page(sid, page, text[a:b], a, its, claims), encoding="utf-8")
            listing.append(f'<li><a href="{page}.html">{html.escape(page)}</a>: {len({e["claim"] for e in its})} claims</li>')
        (folder / "index.html").write_text(
            _page(sid, f"<h1>{html.escape(sid)}</h1><ul>{''.join(listing)}</ul>", 2), encoding="utf-8"
        )
    for name in schema.table_names():
        table_links = links if schema.kind(name) == "claim" else None
        (out / "tables" / f"{name}.html").write_text(render_table(name, tables[name], table_links), encoding="utf-8")
    for name, svg in figures.all_figures(tables).items():
        (out / name).write_text(svg, encoding="utf-8")
    (out / "index.html").write_text(render_index(tables), encoding="utf-8")
    return {
        "claims": sum(len(tables[t]) for t in schema.claim_tables()),
        "quotes": len(ev),
        "pages": sum(len(p) for p in pages.values()),
        "distinct_spans": len({(r["source_id"], r["quote_start"], r["quote_end"]) for r in ev.to_dict("records")}),
    }
