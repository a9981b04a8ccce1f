"""The dataset's figures as plain SVG (drawn here, no plotting library), for the evidence browser
and the README (docs/*.svg are copies, kept current by a test).

- overview.svg: drug -> target -> condition of its approved indications.
- adverse_events.svg: drugs x the CTCAE terms most often among labels' "most common adverse
  reactions" statements (a dot where the drug's label lists the reaction; its size is the
  lowest threshold the reaction is listed at).
- hazard_ratios.svg: a forest plot of every stated hazard ratio with its confidence interval,
  by study and endpoint.
"""

from __future__ import annotations

import html
from collections import Counter

import pandas as pd

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12"><title>{html.escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(body) + "</svg>\n"
    )


def _text(x: float, y: float, s: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{html.escape(s)}</text>'


def overview_svg(tables: dict[str, pd.DataFrame]) -> str:
    """Drug -> targets -> conditions of its approved indications (any regulator)."""
    drugs = sorted(tables["drugs"]["drug_id"].astype(str))
    dt = tables["drug_targets"].astype(object)
    ind = tables["indications"].astype(object)
    ind = ind[ind["condition_id"].notna() & (ind["status"] == "approved")]
    names = dict(zip(tables["conditions"]["condition_id"], tables["conditions"]["name"], strict=True))
    targets = sorted(set(dt["target_id"]))
    conditions = sorted(set(ind["condition_id"]), key=lambda c: names[c])
    step, top = 18, 40
    rows = max(len(drugs), len(targets), len(conditions), 1)
    height = top + step * rows + 30
    xs = {"drug": 10, "target": 330, "condition": 560}

    def spread(items: list[str]) -> dict[str, float]:  # each column spans the full height
        gap = (step * rows) / max(len(items), 1)
        return {k: top + gap * (i + 0.5) for i, k in enumerate(items)}

    yd, yt, yc = spread(drugs), spread(targets), spread(conditions)
    colour = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(drugs)}
    body = [
        _text(xs[k], 22, label, font_weight="bold")
        for k, label in (("drug", "drug"), ("target", "target (HGNC)"), ("condition", "approved condition (Disease Ontology)"))
    ]
    for d, t in sorted(set(zip(dt["drug_id"], dt["target_id"], strict=True))):
        body.append(
            f'<line x1="{xs["drug"] + 190}" y1="{yd[d] - 4:.1f}" x2="{xs["target"] - 5}" y2="{yt[t] - 4:.1f}" '
            f'stroke="{colour[d]}" stroke-width="1.2" opacity="0.7"/>'
        )
    for d, c in sorted(set(zip(ind["drug_id"], ind["condition_id"], strict=True))):
        body.append(
            f'<line x1="{xs["drug"] + 190}" y1="{yd[d] - 4:.1f}" x2="{xs["condition"] - 5}" y2="{yc[c] - 4:.1f}" '
            f'stroke="{colour[d]}" stroke-width="0.8" opacity="0.35" stroke-dasharray="3,3"/>'
        )
    body += [_text(xs["drug"], yd[d], d, fill=colour[d], font_weight="bold") for d in drugs]
    body += [_text(xs["target"], yt[t], t) for t in targets]
    body += [_text(xs["condition"], yc[c], f"{names[c]}") for c in conditions]
    body.append(_text(10, height - 8, "solid: drug to target; dashed: drug to approved condition", fill="#666"))
    return _svg(900, int(height), body, "mabdata: drugs, targets and approved conditions")


def ae_svg(tables: dict[str, pd.DataFrame], top_n: int = 30) -> str:
    """Drugs x the CTCAE terms most often named in 'most common adverse reactions' statements."""
    ae = tables["adverse_events"].astype(object)
    common = ae[(ae["category"] == "most common") & ae["ctcae_term"].notna()]
    terms = [t for t, _ in Counter(common.drop_duplicates(["drug_id", "ctcae_term"])["ctcae_term"]).most_common(top_n)]
    drugs = sorted(set(common["drug_id"]))
    left, top, cw, rh = 190, 150, 18, 16
    width, height = left + cw * max(len(terms), 1) + 20, top + rh * max(len(drugs), 1) + 40
    body = []
    for j, t in enumerate(terms):
        x = left + cw * j + cw / 2
        body.append(f'<text transform="translate({x:.1f},{top - 6}) rotate(-60)" font-size="11">{html.escape(t)}</text>')
    for i, d in enumerate(drugs):
        y = top + rh * i + rh / 2
        body.append(_text(10, y + 4, d, font_size="11"))
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + cw * len(terms)}" y2="{y:.1f}" stroke="#eee"/>')
        mine = common[common["drug_id"] == d]
        for j, t in enumerate(terms):
            hit = mine[mine["ctcae_term"] == t]
            if hit.empty:
                continue
            thr = pd.to_numeric(hit["threshold"], errors="coerce").min()
            r = 3 if pd.isna(thr) else (6 if thr >= 20 else 4.5)
            label = f"{d}: {t}" + ("" if pd.isna(thr) else f" (listed at ≥{thr:g}%)")
            body.append(
                f'<circle cx="{left + cw * j + cw / 2:.1f}" cy="{y:.1f}" r="{r}" fill="#b91c1c" opacity="0.8">'
                f"<title>{html.escape(label)}</title></circle>"
            )
    body.append(
        _text(10, height - 10, "dot: the label lists the reaction among its most common; large: at a threshold ≥20%", fill="#666")
    )
    return _svg(int(width), int(height), body, "mabdata: most common adverse reactions by drug")


def hazard_ratio_svg(tables: dict[str, pd.DataFrame]) -> str:
    """Forest plot of stated hazard ratios (log scale) with their confidence intervals."""
    tr = tables["trial_results"].astype(object)
    hr = tr[(tr["statistic"] == "hazard ratio") & tr["value"].notna()]
    studies = tables["studies"].astype(object).set_index("study_id")
    hr = hr.assign(study=[studies.at[s, "name"] if pd.notna(studies.at[s, "name"]) else "(unnamed)" for s in hr["study_id"]])
    hr = hr.sort_values(["drug_id", "study", "endpoint", "value"])
    left, width, top, rh = 330, 420, 40, 15
    height = top + rh * max(len(hr), 1) + 50
    lo, hi = 0.1, 2.0

    def x(v: float) -> float:
        import math

        v = min(max(v, lo), hi)
        return left + width * (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))

    body = [
        _text(10, 22, "drug · study · endpoint", font_weight="bold"),
        _text(left, 22, "hazard ratio (log scale)", font_weight="bold"),
    ]
    body.append(f'<line x1="{x(1):.1f}" y1="{top - 8}" x2="{x(1):.1f}" y2="{height - 40}" stroke="#999" stroke-dasharray="4,3"/>')
    for i, r in enumerate(hr.to_dict("records")):
        y = top + rh * i + rh / 2
        label = f"{r['drug_id']} · {r['study']} · {r['endpoint']}" + (f" · {r['subgroup']}" if pd.notna(r["subgroup"]) else "")
        body.append(_text(10, y + 4, label[:55], font_size="10"))
        if pd.notna(r["ci_lower"]) and pd.notna(r["ci_upper"]):
            body.append(
                f'<line x1="{x(float(r["ci_lower"])):.1f}" y1="{y:.1f}" x2="{x(float(r["ci_upper"])):.1f}" '
                f'y2="{y:.1f}" stroke="#1f77b4" stroke-width="1.5"/>'
            )
        tip = f"{label}: HR {r['value']}" + (f" ({r['ci_lower']}–{r['ci_upper']})" if pd.notna(r["ci_lower"]) else "")
        body.append(
            f'<rect x="{x(float(r["value"])) - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="#1f77b4">'
            f"<title>{html.escape(tip)}</title></rect>"
        )
    for tick in (0.1, 0.25, 0.5, 1, 2):
        body.append(_text(x(tick), height - 24, f"{tick:g}", text_anchor="middle", fill="#666"))
    body.append(
        _text(10, height - 6, "square: hazard ratio; line: stated confidence interval; left of 1 favours the drug", fill="#666")
    )
    return _svg(780, int(height), body, "mabdata: hazard ratios of the studies")


def all_figures(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    return {
        "overview.svg": overview_svg(tables),
        "adverse_events.svg": ae_svg(tables),
        "hazard_ratios.svg": hazard_ratio_svg(tables),
    }
