"""Golden traces: the SHA-256 of every shipped scenario's trace and verdict, pinned.

Speed work must not change what a run records (issue 12): for each scenario under
``scenarios/`` this computes, for the canonical schedule, three random schedules and two PCT
schedules (the draws of an ``emu explore`` campaign), the digest of the JSON-lines trace
(``docs/trace.md``) and of the verdict (the state and findings of every property the run
exercised: one it left "not exercised" is left out, so a subsystem that adds properties changes
only the digests of the runs that exercise them). The digests are
stored in ``tests/golden/traces.json``; ``tests/test_golden_traces.py`` recomputes and compares
them. When the trace schema version moves on purpose, regenerate the file with
``python -m tools.golden_traces --update`` in the same change.

    python -m tools.golden_traces            # compare, print what differs, exit 1 if any
    python -m tools.golden_traces --update   # rewrite tests/golden/traces.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from emu.explore.campaign import Campaign
from emu.explore.judge import run_once
from emu.kernel.chooser import CanonicalChooser, Chooser
from emu.kernel.trace import TRACE_SCHEMA_VERSION
from emu.properties.verdict import NOT_EXERCISED, Verdict
from emu.scenario import load_scenario
from emu.scenario.model import ExploreBudget

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "traces.json"
RANDOM_SCHEDULES = (1, 2, 3)  # schedule indices of a random campaign (0 is canonical)
PCT_SCHEDULES = (1, 2)


def shipped() -> list[Path]:
    return sorted((ROOT / "scenarios").rglob("*.yaml"))


def verdict_text(judged: Verdict) -> str:
    lines = [judged.profile]
    for status in judged.statuses:
        if status.state == NOT_EXERCISED:
            continue
        found = "; ".join(f"{f.seq}:{f.message}:{list(f.related)}" for f in status.findings)
        lines.append(f"{status.property.id} {status.state} {found}")
    return "\n".join(lines)


def runs_of(path: Path) -> dict[str, dict[str, str]]:
    """Run label -> {"trace": digest, "verdict": digest} for one scenario."""
    scenario = load_scenario(path)
    choosers: list[tuple[str, Chooser]] = [("canonical", CanonicalChooser())]
    for strategy, indices in (("random", RANDOM_SCHEDULES), ("pct", PCT_SCHEDULES)):
        campaign = Campaign(scenario, ExploreBudget(strategy, 10, 0, 3))
        choosers += [(f"{strategy}-{i}", campaign.chooser(i, 100)) for i in indices]
    out: dict[str, dict[str, str]] = {}
    for label, chooser in choosers:
        assessment = run_once(scenario, chooser)
        trace = assessment.result.k.trace.to_jsonl().encode()
        out[label] = {
            "trace": hashlib.sha256(trace).hexdigest()[:16],
            "verdict": hashlib.sha256(verdict_text(assessment.verdict).encode()).hexdigest()[:16],
        }
    return out


def compute() -> dict[str, object]:
    runs = {str(p.relative_to(ROOT / "scenarios")): runs_of(p) for p in shipped()}
    return {"schema_version": TRACE_SCHEMA_VERSION, "scenarios": runs}


def differences(golden: dict[str, object], now: dict[str, object]) -> list[str]:
    out: list[str] = []
    if golden.get("schema_version") != now["schema_version"]:
        out.append(f"schema version {golden.get('schema_version')} -> {now['schema_version']}")
    old = golden.get("scenarios", {})
    new = now["scenarios"]
    assert isinstance(old, dict) and isinstance(new, dict)
    for name in sorted(set(old) | set(new)):
        if name not in new:
            out.append(f"{name}: no longer shipped")
        elif name not in old:
            out.append(f"{name}: not in the golden file")
        else:
            for label in sorted(set(old[name]) | set(new[name])):
                was, got = old[name].get(label, {}), new[name].get(label, {})
                for part in ("trace", "verdict"):
                    if was.get(part) != got.get(part):
                        out.append(f"{name} {label} {part}: {was.get(part)} -> {got.get(part)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the golden file")
    args = parser.parse_args(argv)
    now = compute()
    if args.update:
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {GOLDEN.relative_to(ROOT)}")
        return 0
    diff = differences(json.loads(GOLDEN.read_text(encoding="utf-8")), now)
    for line in diff:
        print(line)
    print("unchanged" if not diff else f"{len(diff)} difference(s)")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
