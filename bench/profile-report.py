#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/profile.sh's report: instructions per round trip by function.

Arguments: the plugin's counts for the short and the long run, the number of
round trips between them (exitbench runs 1.2 N in all), then symbol files of
"address type name" lines. Code outside every symbol file shows as [other].
"""
import bisect
import collections
import sys


def counts(path):
    with open(path) as f:
        return {int(a, 16): int(n) for a, n in (line.split() for line in f)}


def main():
    short, long_, trips = counts(sys.argv[1]), counts(sys.argv[2]), int(sys.argv[3])
    syms = []
    for path in sys.argv[4:]:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 3 and p[1] in "tTwW":
                    name = p[2] + (" " + p[3] if len(p) > 3 else "")
                    syms.append((int(p[0], 16), name))
    syms.sort()
    starts = [s[0] for s in syms]
    user_end = max((a for a, n in syms if n.startswith("user:")), default=0)
    per_fn = collections.Counter()
    for va in set(short) | set(long_):
        delta = long_.get(va, 0) - short.get(va, 0)
        if not delta:
            continue
        i = bisect.bisect_right(starts, va) - 1
        if va < 0x100000:
            name = "[guest loop]"
        elif i < 0 or (va < 1 << 47 and va > user_end + 0x100000):
            name = "[other]"
        else:
            name = syms[i][1]
        per_fn[name] += delta
    print("total per round trip %.0f" % (sum(per_fn.values()) / trips))
    for name, n in per_fn.most_common(45):
        print("%8.1f  %s" % (n / trips, name))


if __name__ == "__main__":
    main()
