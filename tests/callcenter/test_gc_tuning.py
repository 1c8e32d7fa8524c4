"""callcenter.gc_tuning: in a process of its own (freezing is process-wide; the test process must not)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from callcenter.gc_tuning import FULL_COLLECTION_EVERY, tune_for_latency
garbage = []
garbage.append(garbage)  # a cycle nobody holds once the name is gone
del garbage
before = gc.get_threshold()
tune_for_latency()
young = []
young.append(young)  # built after the freeze: still collected
del young
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "young_collected": gc.collect(), "every": FULL_COLLECTION_EVERY}))
"""


def test_start_up_is_frozen_and_full_collections_are_rarer_while_young_cycles_are_still_freed() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    figures = json.loads(out.stdout)
    assert figures["frozen"] > 1000  # the modules and objects alive at that point
    assert figures["after"][:2] == figures["before"][:2]  # young generations as Python sets them
    assert figures["after"][2] == figures["every"] > figures["before"][2]
    assert figures["young_collected"] >= 1  # a cycle made after the freeze is garbage-collected
