#!/bin/sh
# Runs in the test VM: every selftest binary here, then every WHPX client
# program under clients/ (TAP from each), and one closing line; exits
# non-zero if any of them failed.
pass=0
fail=0
for t in ./*_test ./clients/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
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
