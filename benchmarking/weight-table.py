#!/usr/bin/env python3
"""Prints the worst-case weights of generated `weights.rs` files as Markdown tables.

Usage: weight-table.py MODEL_REGISTRY_WEIGHTS BALANCES_WEIGHTS

Each weight function of the `SubstrateWeight` impl (the first impl priced with
`T::DbWeight`) is evaluated at the upper end of its components' measured ranges. Database
accesses are priced like the runtime's `DbWeight` (`ParityDbWeight`: read 8 us, write 50 us).
Ratios compare with `pallet_balances::transfer_keep_alive` from the second file.

A second table gives the cost of one more task in an assignment pass (`assign_executors(n)`,
`assign_unserved(n)`): the slope over `n`, and the pass with one task.
"""

import re
import sys

READ_PS = 8_000_000
WRITE_PS = 50_000_000


def num(text):
    return int(text.replace("_", ""))


class WeightFn:
    """One generated weight function: terms of (ref_time ps, proof bytes, reads, writes)."""

    def __init__(self, name, ranges, terms):
        self.name = name
        self.ranges = ranges
        self.terms = terms  # (component or None, ref_ps, proof, reads, writes)

    def at(self, values):
        """(execution ps, reads, writes, proof) with components at `values`."""
        exec_ps = reads = writes = proof = 0
        for comp, ref, pov, r, w in self.terms:
            factor = values.get(comp, 0) if comp else 1
            exec_ps += ref * factor
            proof += pov * factor
            reads += r * factor
            writes += w * factor
        return exec_ps, reads, writes, proof

    def at_max(self):
        return self.at(self.ranges)


def total(exec_ps, reads, writes):
    return exec_ps + reads * READ_PS + writes * WRITE_PS


def weights(path):
    """Yields a WeightFn per function of the first `SubstrateWeight` impl."""
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
        terms = []
        for ref, pov, comp in re.findall(
            r"Weight::from_parts\(([\d_]+), ([\d_]+)\)(?:\.saturating_mul\((\w+)\.into\(\)\))?",
            code,
        ):
            terms.append((comp or None, num(ref), num(pov), 0, 0))
        for kind, base, slope, comp in re.findall(
            r"\.(reads|writes)\((?:([\d_]+)(?:_u64)?|\(([\d_]+)_u64\)\.saturating_mul\((\w+)\.into\(\)\))\)",
            code,
        ):
            count = num(base) if base else num(slope)
            r, w = (count, 0) if kind == "reads" else (0, count)
            terms.append((None if base else comp, 0, 0, r, w))
        yield WeightFn(name, ranges, terms)


def main():
    registry, balances = sys.argv[1], sys.argv[2]
    reference = {w.name: w for w in weights(balances)}["transfer_keep_alive"]
    ref_exec, ref_reads, ref_writes, _ = reference.at_max()
    ref_total = total(ref_exec, ref_reads, ref_writes)
    registry_fns = list(weights(registry))

    print(
        "| weight | components (max) | execution (us) | reads / writes | total ref_time (us) "
        "| x transfer (total) | x transfer (execution) | proof size (bytes) |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    rows = [("pallet_balances::transfer_keep_alive", reference)]
    rows += [(w.name, w) for w in registry_fns]
    for label, fn in rows:
        exec_ps, reads, writes, proof = fn.at_max()
        whole = total(exec_ps, reads, writes)
        comps = ", ".join(f"{c}={v}" for c, v in fn.ranges.items()) or "-"
        print(
            f"| `{label}` | {comps} | {exec_ps / 1e6:.1f} | {reads} / {writes} "
            f"| {whole / 1e6:.1f} | {whole / ref_total:.2f} | {exec_ps / ref_exec:.2f} "
            f"| {proof} |"
        )

    print()
    print(
        "| assignment pass | execution (us) | reads / writes | total ref_time (us) "
        "| x transfer (total) | proof size (bytes) |"
    )
    print("|---|--:|--:|--:|--:|--:|")
    for fn in registry_fns:
        if fn.name not in ("assign_executors", "assign_unserved"):
            continue
        one = fn.at({"n": 1})
        two = fn.at({"n": 2})
        slope = tuple(b - a for a, b in zip(one, two))
        for label, (exec_ps, reads, writes, proof) in (
            (f"`{fn.name}`: each task (slope over n)", slope),
            (f"`{fn.name}`: a pass with one task (n = 1)", one),
        ):
            whole = total(exec_ps, reads, writes)
            print(
                f"| {label} | {exec_ps / 1e6:.1f} | {reads} / {writes} | {whole / 1e6:.1f} "
                f"| {whole / ref_total:.2f} | {proof} |"
            )


if __name__ == "__main__":
    main()
