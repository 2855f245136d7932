"""Resolution quality on the benchmark's labelled noisy contacts, at a small size."""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

from ledgerbridge.quality.resolve import resolve

BENCH = Path(__file__).resolve().parents[2] / "bench" / "entity_resolution_bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("entity_resolution_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_generated_contacts_resolve_above_target_and_above_the_baseline():
    bench = _bench()
    labelled = bench.generate(250, seed=3)
    records = [r for r, _ in labelled]
    assert len({r.connection for r in records}) == 3
    by_label = defaultdict(list)
    for r, label in labelled:
        by_label[label].append(r.key)
    true = bench.pairs(by_label.values())
    precision, recall, f1 = bench.score(
        bench.pairs([r.key for r in c.records] for c in resolve(records)), true)
    baseline = bench.score(bench.pairs(bench.baseline_groups(records)), true)
    assert precision >= bench.TARGET_PRECISION
    assert f1 >= bench.TARGET_F1
    assert f1 > baseline[2]
