#!/bin/sh
# Runs in the test VM: every selftest binary here, TAP from each, and one
# closing line; exits non-zero if any test binary failed.
pass=0
fail=0
for t in ./*_test; do
	[ -x "$t" ] || continue
	echo "# running $t"
	if "$t"; then
		pass=$((pass + 1))
	else
		echo "# FAILED: $t"
		fail=$((fail + 1))
	fi
done
echo "selftest binaries: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
