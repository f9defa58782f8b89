#!/usr/bin/env python3
"""Prints the worst-case weights of generated `weights.rs` files as a Markdown table.

Usage: weight-table.py MODEL_REGISTRY_WEIGHTS BALANCES_WEIGHTS

Each weight function of the `SubstrateWeight` impl (the first impl priced with
`T::DbWeight`) is evaluated at the upper end of its components' measured ranges. Database
accesses are priced like the runtime's `DbWeight` (`RocksDbWeight`: read 25 us, write 100 us).
Ratios compare with `pallet_balances::transfer_keep_alive` from the second file.
"""

import re
import sys

READ_PS = 25_000_000
WRITE_PS = 100_000_000


def num(text):
    return int(text.replace("_", ""))


def weights(path):
    """Yields (name, max components, exec ps, reads, writes, proof bytes) per function."""
    source = open(path, encoding="utf-8").read()
    start = source.index("for SubstrateWeight<T>") if "for SubstrateWeight<T>" in source else 0
    body = source[start:]
    # Only the first impl block.
    body = body[: body.index("\n}\n") + 3]
    pattern = re.compile(
        r"((?:\t///[^\n]*\n)*)\tfn (\w+)\(([^)]*)\) -> Weight \{\n(.*?)\n\t\}", re.S
    )
    for docs, name, _args, code in pattern.findall(body):
        ranges = {
            c: num(hi)
            for c, _lo, hi in re.findall(
                r"The range of component `(\w+)` is `\[([\d_]+), ([\d_]+)\]`", docs
            )
        }
        exec_ps = proof = reads = writes = 0
        for ref, pov, comp in re.findall(
            r"Weight::from_parts\(([\d_]+), ([\d_]+)\)(?:\.saturating_mul\((\w+)\.into\(\)\))?",
            code,
        ):
            factor = ranges.get(comp, 0) if comp else 1
            exec_ps += num(ref) * factor
            proof += num(pov) * factor
        for kind, base, slope, comp in re.findall(
            r"\.(reads|writes)\((?:([\d_]+)(?:_u64)?|\(([\d_]+)_u64\)\.saturating_mul\((\w+)\.into\(\)\))\)",
            code,
        ):
            count = num(base) if base else num(slope) * ranges.get(comp, 0)
            if kind == "reads":
                reads += count
            else:
                writes += count
        yield name, ranges, exec_ps, reads, writes, proof


def main():
    registry, balances = sys.argv[1], sys.argv[2]
    reference = {w[0]: w for w in weights(balances)}["transfer_keep_alive"]
    ref_exec = reference[2]
    ref_total = ref_exec + reference[3] * READ_PS + reference[4] * WRITE_PS

    print(
        "| weight | components (max) | execution (us) | reads / writes | total ref_time (us) "
        "| x transfer (total) | x transfer (execution) | proof size (bytes) |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    rows = [("pallet_balances::transfer_keep_alive", reference)]
    rows += [(w[0], w) for w in weights(registry)]
    for label, (_name, ranges, exec_ps, reads, writes, proof) in rows:
        total = exec_ps + reads * READ_PS + writes * WRITE_PS
        comps = ", ".join(f"{c}={v}" for c, v in ranges.items()) or "-"
        print(
            f"| `{label}` | {comps} | {exec_ps / 1e6:.1f} | {reads} / {writes} "
            f"| {total / 1e6:.1f} | {total / ref_total:.2f} | {exec_ps / ref_exec:.2f} "
            f"| {proof} |"
        )


if __name__ == "__main__":
    main()
