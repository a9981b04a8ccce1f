"""The evidence browser in a real headless Chromium: every quote of every claim is reachable from
its claim's row, lands on a highlighted span whose text is the quote, and every highlight lists
the claims it supports. Page weight and load time are measured on the heaviest page."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import mabdata
from mabdata import schemas
from mabdata.site import FIGURES, export_site

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAX_PAGE_BYTES = 3_000_000  # the heaviest page (a long label section with its quotes) stays light


@pytest.fixture(scope="module")
def full_site(tmp_path_factory):
    """The site of the published package (44 labels): figures, page weight and load time."""
    out = tmp_path_factory.mktemp("site")
    t = time.perf_counter()
    counts = export_site(ROOT / "datapackage", out)
    counts["seconds"] = time.perf_counter() - t
    return out, counts


@pytest.fixture(scope="module")
def site(mini_build, tmp_path_factory):
    """The site of the small project: every one of its quotes is followed in the browser."""
    out = tmp_path_factory.mktemp("mini-site")
    export_site(mini_build / "datapackage", out)
    return out, mini_build / "datapackage"


def test_site_builds_and_counts(full_site):
    out, counts = full_site
    assert counts["claims"] == sum(len(mabdata.load(t)) for t in schemas.claim_tables())
    assert counts["quotes"] == len(mabdata.load("evidence"))
    for name in schemas.table_names():
        assert (out / "tables" / f"{name}.html").is_file()
    svg = (out / "overview.svg").read_text()
    assert svg.startswith("<svg") and "isatuximab" in svg and "CD38" in svg
    assert "hazard ratio" in (out / "hazard_ratios.svg").read_text()
    assert "http://" not in (out / "index.html").read_text().replace("http://www.w3.org", "")
    for figure, _ in FIGURES:  # the README's copies must be current
        assert (ROOT / "docs" / figure).read_text() == (out / figure).read_text(), f"refresh docs/{figure}"
    pages = list((out / "sources").rglob("*.html"))
    assert max(p.stat().st_size for p in pages) < MAX_PAGE_BYTES


def _serve(out: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def server(site):
    httpd, url = _serve(site[0])
    yield url
    httpd.shutdown()


@pytest.fixture(scope="module")
def full_server(full_site):
    httpd, url = _serve(full_site[0])
    yield url
    httpd.shutdown()


# In the page: for every evidence id of the page, open #ev=<id> and report the highlighted text.
CHECK_ALL = """async () => {
  const out = {};
  for (const id of Object.keys(DATA.evidence)) {
    location.hash = 'ev=' + id;
    await new Promise(r => setTimeout(r, 0));
    const t = document.getElementById('target');
    out[id] = t ? [t.textContent, t.dataset.ev, t.querySelectorAll('mark').length] : null;
  }
  return out;
}"""

# The same, synchronously: the URL changes without a hashchange event and the page's own handler
# is called directly (the small project's test above goes through real hash navigation).
CHECK_ALL_DIRECT = """() => {
  const out = {};
  for (const id of Object.keys(DATA.evidence)) {
    history.replaceState(null, '', '#ev=' + encodeURIComponent(id));
    focusEvidence();
    const t = document.getElementById('target');
    out[id] = t ? [t.textContent, t.dataset.ev, t.querySelectorAll('mark').length] : null;
  }
  return out;
}"""


def browser_or_skip():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): the real-browser test did not run")
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed: the browser test did not run")


def test_every_quote_lands_on_its_span_in_chromium(site, server, tmp_path):
    playwright = browser_or_skip()
    out, pkg = site
    ev = mabdata.load("evidence", path=pkg)
    quotes = dict(zip(ev["evidence_id"], ev["quote"], strict=True))
    errors: list[str] = []
    seen: dict[str, str] = {}
    timings: dict[str, float] = {}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 640})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in sorted((out / "sources").rglob("*.html")):
            if path.name == "index.html":
                continue
            rel = path.relative_to(out).as_posix()
            t = time.perf_counter()
            page.goto(f"{server}/{rel}")
            page.wait_for_load_state("load")
            timings[rel] = time.perf_counter() - t
            for evid, got in page.evaluate(CHECK_ALL).items():
                assert got is not None, (rel, evid)
                text, target, marks = got
                assert text == quotes[evid] and target == evid and marks >= 1, (rel, evid)
                seen[evid] = rel
        # A claim's row links to every one of its quotes; a highlight lists the claims it supports.
        page.goto(f"{server}/tables/indications.html")
        rows = page.eval_on_selector_all("tbody tr", "rs => rs.map(r => [r.id, r.querySelectorAll('a.evidence').length])")
        per_claim = ev[ev.claim_table == "indications"].groupby("claim_id").size().to_dict()
        assert rows and all(n == per_claim[cid] for cid, n in rows)
        label = next(r for r in mabdata.load("regimens", path=pkg).itertuples() if r.drug_id == "isatuximab")
        page.goto(f"{server}/tables/regimens.html#{label.regimen_id}")
        page.click(f"tr[id='{label.regimen_id}'] a.evidence")
        page.wait_for_selector("#target")
        page.click("#target mark")
        panel = page.inner_text("#panel")
        assert page.is_visible("#panel") and label.regimen_id in panel and "quote(s)" in panel
        shot = Path(os.environ.get("MABDATA_SCREENSHOT", tmp_path / "evidence.png"))
        page.screenshot(path=str(shot))
        page.goto(f"{server}/index.html")
        browser.close()
    assert not errors, errors
    assert set(seen) == set(quotes)  # every quote was reached and checked
    assert shot.stat().st_size > 10_000


def test_heaviest_label_pages_are_light_and_exact(full_site, full_server):
    """The largest pages of the 44-label site: weight and load time, and every quote of the largest."""
    playwright = browser_or_skip()
    out, _ = full_site
    ev = mabdata.load("evidence")
    quotes = dict(zip(ev["evidence_id"], ev["quote"], strict=True))
    pages = sorted((p for p in (out / "sources").rglob("*.html") if p.name != "index.html"), key=lambda p: -p.stat().st_size)
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 640})
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in pages[:3]:
            rel = path.relative_to(out).as_posix()
            t = time.perf_counter()
            page.goto(f"{full_server}/{rel}")
            page.wait_for_load_state("load")
            seconds = time.perf_counter() - t
            print(f"\n{rel}: {path.stat().st_size / 1e6:.2f} MB, loaded in {seconds:.2f} s")
            assert seconds < 5
            if path == pages[0]:  # every quote of the heaviest page (the small site's test covers the rest)
                checked = page.evaluate(CHECK_ALL_DIRECT)
                assert checked and all(got and got[0] == quotes[evid] for evid, got in checked.items()), rel
        page.goto(f"{full_server}/tables/evidence.html")
        assert "rows 1-100 of" in page.inner_text("#pageinfo")
        browser.close()
    assert not errors, errors
