"""Drafting speed and memory on the FDA labels in labels/raw/ (openFDA JSON records).

    python scripts/benchmark_draft.py [--json FILE] [--merge-into docs/draft-evaluation.json] [--repeat N]

Throughput is label text (UTF-8 bytes of the rendered labels) per second of CPU time of one
process, after the vocabularies are loaded once (as `mabdata draft` does). Memory: the drafter
streams (one document at a time), so peak RSS must not grow with the number of documents; it is
sampled after each pass over the corpus, and the corpus is passed over N times.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mabdata.draft import draft_many, extract_document  # noqa: E402
from mabdata.draft import lexicon as load_lexicon  # noqa: E402
from mabdata.draft.adverse_events import adr_lexicon  # noqa: E402
from mabdata.draft.text import load  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--merge-into", type=Path, help="add the result as 'speed' to this JSON file")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the corpus (memory must stay flat)")
    args = parser.parse_args()
    paths = sorted((ROOT / "labels" / "raw").glob("*.json"))
    t0 = time.perf_counter()
    load_lexicon()
    adr_lexicon()
    load_seconds = time.perf_counter() - t0
    rss_loaded = peak_rss_mb()
    size = sum(len(load(p).text.encode("utf-8")) for p in paths)
    passes = []
    for _ in range(args.repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        claims = 0
        for p in paths:  # render + draft + write-ready output, one document at a time
            col = extract_document(load(p))
            claims += sum(len(v) for v in col.finish().values()) if col else 0
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        passes.append(
            {
                "cpu_s": round(cpu, 3),
                "wall_s": round(wall, 3),
                "mb_per_cpu_s": round(size / 1e6 / cpu, 3),
                "claims": claims,
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    with tempfile.TemporaryDirectory() as tmp:  # the command's own path: files written, progress bar off
        cpu = time.process_time()
        draft_many(paths, Path(tmp), jobs=1, progress=False)
        files_cpu = time.process_time() - cpu
    best = max(p["mb_per_cpu_s"] for p in passes)
    result = {
        "labels": len(paths),
        "text_mb": round(size / 1e6, 3),
        "vocabulary_load_s": round(load_seconds, 2),
        "rss_after_load_mb": round(rss_loaded, 1),
        "passes": passes,
        "draft_many_files_mb_per_cpu_s": round(size / 1e6 / files_cpu, 3),
        "best_mb_per_cpu_s": best,
        "memory_growth_mb": round(passes[-1]["peak_rss_mb"] - passes[0]["peak_rss_mb"], 1),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.merge_into:
        doc = json.loads(args.merge_into.read_text(encoding="utf-8")) if args.merge_into.is_file() else {}
        doc["speed"] = result
        args.merge_into.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
