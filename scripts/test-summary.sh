#!/bin/bash
# One closing line for a `make test` log: every TAP result (kselftests,
# VM scenarios) and every Check suite, counted together.
set -euo pipefail
log=${1:?usage: test-summary.sh LOG}
tap_pass=$(grep -cE '^ok [0-9]+' "$log" || true)
tap_fail=$(grep -cE '^not ok [0-9]+' "$log" || true)
read -r chk_pass chk_fail < <(awk '
	/^[0-9]+%: Checks: / {
		gsub(",", ""); n = $3; f = $5 + $7; p += n - f; x += f
	}
	END { print p + 0, x + 0 }' "$log")
echo "tests: $((tap_pass + chk_pass)) passed, $((tap_fail + chk_fail)) failed"
