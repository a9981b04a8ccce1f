"""The evidence browser in a real headless Chromium: every fact row has exactly one link, and
following it lands on a highlighted span whose text is the row's quote."""

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
from mabdata.site import export_site

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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    t = time.perf_counter()
    counts = export_site(ROOT / "datapackage", out)
    counts["seconds"] = time.perf_counter() - t
    return out, counts


def test_site_builds_fast_and_counts(site):
    out, counts = site
    fact_rows = sum(len(mabdata.load(t)) for t in schemas.table_names() if schemas.is_fact_table(t))
    assert counts["facts"] == fact_rows
    assert counts["seconds"] < 5
    for name in schemas.table_names():
        assert (out / "tables" / f"{name}.html").is_file()
    svg = (out / "overview.svg").read_text()
    assert svg.startswith("<svg") and "cemiplimab" in svg and "PDCD1" in svg
    assert "15.4" in (out / "trial_results.svg").read_text()
    assert "http://" not in (out / "index.html").read_text().replace("http://www.w3.org", "")
    for figure in ("overview.svg", "trial_results.svg"):  # the README's copies must be current
        assert (ROOT / "docs" / figure).read_text() == (out / figure).read_text(), f"refresh docs/{figure}"


@pytest.fixture(scope="module")
def server(site):
    out, _ = site

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_every_fact_link_lands_on_its_quote_in_chromium(server, tmp_path):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): the real-browser test did not run")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: the browser test did not run")
    errors: list[str] = []
    checked = 0
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 640})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for name in schemas.table_names():
            if not schemas.is_fact_table(name):
                continue
            df = mabdata.load(name)
            pk = schemas.primary_key(name)[0]
            page.goto(f"{server}/tables/{name}.html")
            links = page.eval_on_selector_all(
                "tr[id^=row-]", "rows => rows.map(r => [r.id.slice(4), [...r.querySelectorAll('a.evidence')].map(a => a.href)])"
            )
            assert len(links) == len(df)
            quotes = dict(zip(df[pk], df["quote"], strict=True))
            for row_id, hrefs in links:
                assert len(hrefs) == 1, (name, row_id)
                page.goto(hrefs[0])
                page.wait_for_selector("#target")
                got = page.eval_on_selector("#target", "t => [t.textContent, t.querySelectorAll('mark').length, t.dataset.fact]")
                assert got[0] == quotes[row_id], (name, row_id)
                assert got[1] >= 1 and got[2] == f"{name}/{row_id}"
                checked += 1
        page.goto(f"{server}/sources/002_f633e4ad168ed7ca.html#fact=trial_results/002_f633e4ad168ed7ca/005")
        page.wait_for_selector("#target")
        page.click("#target mark")
        assert page.is_visible("#panel") and "13.9" in page.inner_text("#panel")
        shot = Path(os.environ.get("MABDATA_SCREENSHOT", tmp_path / "evidence.png"))
        page.screenshot(path=str(shot))
        page.goto(f"{server}/index.html")
        browser.close()
    assert not errors, errors
    assert checked == sum(len(mabdata.load(t)) for t in schemas.table_names() if schemas.is_fact_table(t))
    assert shot.stat().st_size > 10_000
