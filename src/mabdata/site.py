"""Evidence browser: a static HTML site showing every fact beside the sentence it came from.

    mabdata export site --out DIR

- sources/<source_id>.html: the full text, every quoted span highlighted. The text is cut at
  every quote boundary into flat, non-overlapping segments, so overlapping quotes need no
  nesting; a fact's span is always a run of consecutive segments. Opening
  `#fact=<table>/<row id>` wraps that run in one element (its text is exactly the quote),
  scrolls to it and shows the row; clicking any highlight lists the rows it supports.
- tables/<table>.html: each table, sortable and filterable, one evidence link per row.
- index.html: counts per table and per drug, and two figures (SVG, drawn here, no library).
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

from mabdata import schemas as schema

CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#222}
header{background:#123;color:#fff;padding:.6em 1.2em}header a{color:#cde;margin-right:1em}
main{padding:1em 1.2em;max-width:80em}
pre.doc{white-space:pre-wrap;font:15px/1.6 Georgia,serif;background:#fafafa;padding:1em;border:1px solid #ddd}
mark{background:#fde68a;cursor:pointer}mark.d2{background:#fcd34d}mark.d3{background:#fbbf24}
.target{outline:3px solid #dc2626;background:#fecaca}
#panel{position:fixed;right:1em;bottom:1em;width:30em;max-height:45vh;overflow:auto;background:#fff;
border:1px solid #999;box-shadow:0 2px 8px #0003;padding:.6em;font-size:13px;display:none}
table.data{border-collapse:collapse;font-size:13px}table.data td,table.data th{border:1px solid #ccc;padding:2px 5px;
vertical-align:top}table.data th{background:#eee;cursor:pointer;position:sticky;top:0}
.row{border-top:1px solid #ddd;margin-top:.4em;padding-top:.4em}.k{color:#666}
input#filter{width:30em;padding:4px;margin:.5em 0}
"""

SOURCE_JS = """
const FACTS = JSON.parse(document.getElementById('facts').textContent);
const panel = document.getElementById('panel');
function show(keys) {
  panel.innerHTML = '';
  for (const key of keys) {
    const f = FACTS[key];
    const div = document.createElement('div'); div.className = 'row';
    const h = document.createElement('b');
    const a = document.createElement('a'); a.href = '../tables/' + f.table + '.html#row-' + encodeURIComponent(f.id);
    a.textContent = f.table + ' ' + f.id; h.appendChild(a); div.appendChild(h);
    for (const [k, v] of Object.entries(f.row)) {
      if (v === null || k === 'quote') continue;
      const p = document.createElement('div'); const s = document.createElement('span');
      s.className = 'k'; s.textContent = k + ': '; p.appendChild(s); p.append(String(v)); div.appendChild(p);
    }
    panel.appendChild(div);
  }
  panel.style.display = keys.length ? 'block' : 'none';
}
function clearTarget() {
  const old = document.getElementById('target');
  if (old) { old.replaceWith(...old.childNodes); }
}
function focusFact() {
  clearTarget();
  const m = decodeURIComponent(location.hash).match(/^#fact=([^/]+)\\/(.+)$/);
  if (!m) return;
  const key = m[1] + '/' + m[2];
  const f = FACTS[key];
  if (!f) return;
  const segs = [...document.querySelectorAll('pre.doc > [data-s]')]
    .filter(e => +e.dataset.s >= f.start && +e.dataset.e <= f.end);
  if (!segs.length) return;
  const wrap = document.createElement('span'); wrap.id = 'target'; wrap.className = 'target';
  wrap.dataset.fact = key;
  segs[0].before(wrap); for (const s of segs) wrap.appendChild(s);
  wrap.scrollIntoView({block: 'center'});
  show([key]);
}
document.querySelector('pre.doc').addEventListener('click', ev => {
  const m = ev.target.closest('mark'); if (m) show(m.dataset.facts.split(' '));
});
window.addEventListener('hashchange', focusFact);
focusFact();
"""

TABLE_JS = """
const table = document.querySelector('table.data');
const body = table.tBodies[0];
document.getElementById('filter').addEventListener('input', ev => {
  const q = ev.target.value.toLowerCase();
  for (const tr of body.rows) tr.hidden = q && !tr.textContent.toLowerCase().includes(q);
});
table.tHead.addEventListener('click', ev => {
  const th = ev.target.closest('th'); if (!th) return;
  const i = th.cellIndex, asc = th.dataset.dir !== 'asc';
  for (const h of table.tHead.rows[0].cells) delete h.dataset.dir;
  th.dataset.dir = asc ? 'asc' : 'desc';
  const num = th.dataset.type === 'number' || th.dataset.type === 'integer';
  const rows = [...body.rows].sort((a, b) => {
    const x = a.cells[i].textContent, y = b.cells[i].textContent;
    const c = num ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
    return asc ? c : -c;
  });
  body.append(...rows);
});
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


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def facts(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Every fact row of every fact table with its span."""
    out = []
    for name in schema.table_names():
        if not schema.is_fact_table(name):
            continue
        pk = schema.primary_key(name)[0]
        for rec in tables[name].astype(object).to_dict("records"):
            row = {k: _jsonable(v) for k, v in rec.items()}
            out.append(
                {
                    "table": name,
                    "id": row[pk],
                    "source_id": row["source_id"],
                    "start": row["quote_start"],
                    "end": row["quote_end"],
                    "quote": row["quote"],
                    "row": row,
                }
            )
    return out


def render_source(source_id: str, text: str, items: list[dict[str, Any]]) -> str:
    cuts = sorted({0, len(text), *(f["start"] for f in items), *(f["end"] for f in items)})
    parts = []
    for a, b in itertools.pairwise(cuts):
        if a == b:
            continue
        cover = [f"{f['table']}/{f['id']}" for f in items if f["start"] <= a and b <= f["end"]]
        seg = html.escape(text[a:b])
        if cover:
            depth = min(len(cover), 3)
            parts.append(
                f'<mark data-s="{a}" data-e="{b}" class="d{depth}" data-facts="{html.escape(" ".join(cover))}">{seg}</mark>'
            )
        else:
            parts.append(f'<span data-s="{a}" data-e="{b}">{seg}</span>')
    data = {f"{f['table']}/{f['id']}": {k: f[k] for k in ("table", "id", "start", "end", "row")} for f in items}
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    body = (
        f"<h1>{html.escape(source_id)}</h1><p>{len(items)} facts quote this document. Click a highlight to see the rows "
        f'it supports.</p><pre class="doc">{"".join(parts)}</pre><div id="panel"></div>'
        f'<script type="application/json" id="facts">{payload}</script>'
    )
    return _page(source_id, body, 1, SOURCE_JS)


def render_table(name: str, df: pd.DataFrame) -> str:
    fields = schema.fields(name)
    pk = schema.primary_key(name)[0]
    fact = schema.is_fact_table(name)
    head = "".join(
        f'<th data-type="{f["type"]}" title="{html.escape(f.get("description", ""))}">{f["name"]}</th>' for f in fields
    )
    rows = []
    for rec in df.astype(object).to_dict("records"):
        cells = "".join(
            f"<td>{html.escape('' if _jsonable(rec[f['name']]) is None else str(rec[f['name']]))}</td>" for f in fields
        )
        link = ""
        if fact:
            href = f"../sources/{rec['source_id']}.html#fact={name}/{rec[pk]}"
            link = f'<td><a class="evidence" href="{html.escape(href)}">evidence</a></td>'
        rows.append(f'<tr id="row-{html.escape(str(rec[pk]))}">{link}{cells}</tr>')
    body = (
        f"<h1>{name}</h1><p>{html.escape(schema.table(name).get('description', ''))}</p>"
        f'<input id="filter" placeholder="filter rows"><table class="data"><thead><tr>'
        f"{'<th>source</th>' if fact else ''}{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return _page(name, body, 1, TABLE_JS)


# ---- figures -------------------------------------------------------------------------------------

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12"><title>{html.escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(body) + "</svg>\n"
    )


def overview_svg(tables: dict[str, pd.DataFrame]) -> str:
    """Drugs -> targets (mechanisms) -> conditions (indications, by status)."""
    drugs = sorted(tables["drugs"]["drug_id"].astype(str))
    dt = tables["drug_targets"].astype(object)
    ind = tables["indications"].astype(object)
    ind = ind[ind["condition_id"].notna()]
    targets = sorted(set(dt["target_id"]))
    cond_names = dict(zip(tables["conditions"]["condition_id"], tables["conditions"]["name"], strict=True))
    conditions = sorted(set(ind["condition_id"]), key=lambda c: cond_names[c])
    step, top = 26, 50
    height = top + step * max(len(drugs), len(targets), len(conditions)) + 20
    xs = {"drug": 20, "target": 300, "condition": 560}
    y = {("drug", d): top + i * step for i, d in enumerate(drugs)}
    y |= {("target", t): top + i * step for i, t in enumerate(targets)}
    y |= {("condition", c): top + i * step for i, c in enumerate(conditions)}
    colour = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(drugs)}
    body = [
        f'<text x="{xs[k]}" y="25" font-weight="bold">{label}</text>'
        for k, label in (("drug", "drug"), ("target", "target (HGNC)"), ("condition", "condition (indication)"))
    ]
    for d, t in sorted(set(zip(dt["drug_id"], dt["target_id"], strict=True))):
        mechs = sorted({m for m in dt[(dt.drug_id == d) & (dt.target_id == t)]["mechanism"] if isinstance(m, str)})
        body.append(
            f'<line x1="{xs["drug"] + 120}" y1="{y[("drug", d)] - 4}" x2="{xs["target"] - 5}" y2="{y[("target", t)] - 4}" '
            f'stroke="{colour[d]}" stroke-width="2"><title>{html.escape(", ".join(mechs))}</title></line>'
        )
    for (d, c), grp in sorted(ind.groupby(["drug_id", "condition_id"]), key=lambda kv: kv[0]):
        statuses = sorted(set(grp["status"]))
        dash = "" if "approved" in statuses else ' stroke-dasharray="5,4"'
        for t in sorted(set(dt[dt.drug_id == d]["target_id"])):
            body.append(
                f'<line x1="{xs["target"] + 80}" y1="{y[("target", t)] - 4}" x2="{xs["condition"] - 5}" '
                f'y2="{y[("condition", c)] - 4}" stroke="{colour[d]}" stroke-width="1.5" opacity="0.7"{dash}>'
                f"<title>{html.escape(d + ': ' + ', '.join(statuses))}</title></line>"
            )
    for d in drugs:
        body.append(f'<text x="{xs["drug"]}" y="{y[("drug", d)]}" fill="{colour[d]}" font-weight="bold">{d}</text>')
    for t in targets:
        body.append(f'<text x="{xs["target"]}" y="{y[("target", t)]}">{t}</text>')
    for c in conditions:
        body.append(f'<text x="{xs["condition"]}" y="{y[("condition", c)]}">{html.escape(cond_names[c])} ({c})</text>')
    body.append(
        f'<text x="20" y="{height - 6}" fill="#666">solid: approved (any authority); dashed: investigational, '
        "in use or guideline-listed only</text>"
    )
    return _svg(900, height, body, "mabdata: drug, target and indication overview")


def trials_svg(tables: dict[str, pd.DataFrame]) -> str:
    """Numeric trial results as dots, one panel per unit, one row per endpoint and statistic."""
    tr = tables["trial_results"].astype(object)
    tr = tr[tr["value"].notna()]
    drugs = sorted(tables["drugs"]["drug_id"].astype(str))
    colour = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(drugs)}
    body, y0, left, width = [], 30, 170, 560
    for unit, grp in sorted(tr.groupby("unit"), key=lambda kv: str(kv[0])):
        vmax = 100.0 if unit == "%" else max(float(v) for v in [*grp["value"], *grp["comparator_value"].dropna()]) * 1.1
        body.append(f'<text x="10" y="{y0}" font-weight="bold">values in {html.escape(str(unit))}</text>')
        y0 += 10
        keys = sorted({(e, s) for e, s in zip(grp["endpoint"], grp["statistic"], strict=True)})
        for e, s in keys:
            y0 += 24
            body.append(f'<text x="10" y="{y0 + 4}">{html.escape(f"{e} ({s})")}</text>')
            body.append(f'<line x1="{left}" y1="{y0}" x2="{left + width}" y2="{y0}" stroke="#ddd"/>')
            rows = grp[(grp.endpoint == e) & (grp.statistic == s)]
            for r in rows.to_dict("records"):
                x = left + width * float(r["value"]) / vmax
                label = f"{r['drug_id']}: {r['value']} {unit}" + (f" ({r['subgroup']})" if isinstance(r["subgroup"], str) else "")
                fill = colour[r["drug_id"]]
                body.append(f'<circle cx="{x:.1f}" cy="{y0}" r="5" fill="{fill}"><title>{html.escape(label)}</title></circle>')
                if _jsonable(r["comparator_value"]) is not None:
                    xc = left + width * float(r["comparator_value"]) / vmax
                    body.append(
                        f'<circle cx="{xc:.1f}" cy="{y0}" r="5" fill="none" stroke="{colour[r["drug_id"]]}" stroke-width="2">'
                        f"<title>{html.escape(str(r['comparator']) + ': ' + str(r['comparator_value']))}</title></circle>"
                    )
        y0 += 18
        for tick in range(0, 6):
            v = vmax * tick / 5
            body.append(f'<text x="{left + width * tick / 5:.1f}" y="{y0}" text-anchor="middle" fill="#666">{v:.3g}</text>')
        y0 += 30
    legend = "".join(
        f'<circle cx="{left + 130 * i}" cy="{y0}" r="5" fill="{colour[d]}"/><text x="{left + 130 * i + 9}" '
        f'y="{y0 + 4}">{d}</text>'
        for i, d in enumerate(drugs)
    )
    body.append(legend)
    body.append(f'<text x="10" y="{y0 + 24}" fill="#666">filled: arm; open: comparator</text>')
    return _svg(760, y0 + 36, body, "mabdata: numeric trial results by endpoint")


def render_index(tables: dict[str, pd.DataFrame], n_facts: int) -> str:
    counts = "".join(
        f'<tr><td><a href="tables/{t}.html">{t}</a></td><td>{len(tables[t])}</td></tr>' for t in schema.table_names()
    )
    per_drug: Counter = Counter()
    for t in schema.table_names():
        if "drug_id" in tables[t].columns:
            per_drug.update(tables[t]["drug_id"].astype(str))
    drugs = "".join(f"<tr><td>{d}</td><td>{n}</td></tr>" for d, n in sorted(per_drug.items()))
    body = (
        f"<h1>mabdata evidence browser</h1><p>{n_facts} fact rows, each linked to its highlighted source span.</p>"
        f'<h2>Overview</h2><img src="overview.svg" alt="drug, target and indication overview">'
        f'<h2>Trial results</h2><img src="trial_results.svg" alt="numeric trial results by endpoint">'
        f'<h2>Rows per table</h2><table class="data"><tr><th>table</th><th>rows</th></tr>{counts}</table>'
        f'<h2>Rows per drug</h2><table class="data"><tr><th>drug</th><th>rows</th></tr>{drugs}</table>'
        f"<h2>Sources</h2><ul>"
        + "".join(
            f'<li><a href="sources/{s}.html">{html.escape(t)}</a></li>'
            for s, t in zip(tables["sources"]["source_id"], tables["sources"]["title"], strict=True)
        )
        + "</ul>"
    )
    return _page("mabdata evidence browser", body, 0)


def export_site(pkg: Path, out: Path) -> dict[str, int]:
    """Write the site; returns counts (fact rows, highlighted spans) for reporting."""
    import mabdata

    tables = mabdata.load_all(path=pkg)
    items = facts(tables)
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in items:
        by_source[f["source_id"]].append(f)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "tables").mkdir(exist_ok=True)
    for sid, rel in zip(tables["sources"]["source_id"], tables["sources"]["path"], strict=True):
        text = (pkg / rel).read_bytes().decode("utf-8")
        (out / "sources" / f"{sid}.html").write_text(render_source(sid, text, by_source[sid]), encoding="utf-8")
    for name in schema.table_names():
        (out / "tables" / f"{name}.html").write_text(render_table(name, tables[name]), encoding="utf-8")
    (out / "overview.svg").write_text(overview_svg(tables), encoding="utf-8")
    (out / "trial_results.svg").write_text(trials_svg(tables), encoding="utf-8")
    (out / "index.html").write_text(render_index(tables, len(items)), encoding="utf-8")
    spans = len({(f["source_id"], f["start"], f["end"]) for f in items})
    return {"facts": len(items), "distinct_spans": spans}
