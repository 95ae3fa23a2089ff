#!/usr/bin/env bash
# broken_rule_fails.sh PROMTOOL RULES TESTS - proves that the alert rules' unit
# tests can fail: copies the rules file and its tests to a scratch folder, checks
# that the copy passes, raises TimeServerDescriptorsNearLimit's threshold from
# 0.8 to 0.99, and exits 0 only if `promtool test rules` then fails on that alert.
# Exit 1 otherwise (the tests did not notice, or the setup went wrong).
set -euo pipefail
promtool=${1:?usage: broken_rule_fails.sh PROMTOOL RULES TESTS}
rules=${2:?usage: broken_rule_fails.sh PROMTOOL RULES TESTS}
tests=${3:?usage: broken_rule_fails.sh PROMTOOL RULES TESTS}
work=$(mktemp -d "${TMPDIR:-/tmp}/time-server-alerts.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "broken_rule_fails: $*" >&2; exit 1; }

# The tests name the rules file by its base name, relative to themselves.
cp "$rules" "$work/$(basename "$rules")"
cp "$tests" "$work/$(basename "$tests")"
copy=$work/$(basename "$rules")

# Unchanged, the copy must pass: a failure below is then the changed threshold's.
if ! "$promtool" test rules "$work/$(basename "$tests")" >"$work/before.log" 2>&1; then
    cat "$work/before.log" >&2
    fail "the unchanged rules already fail their tests"
fi

before='process_open_fds{job="time-server"} / process_max_fds{job="time-server"} > 0.8$'
grep -q "$before" "$copy" || fail "no TimeServerDescriptorsNearLimit expression ending in '> 0.8' in $rules"
sed -i 's/\(process_max_fds{job="time-server"} > \)0\.8$/\10.99/' "$copy"
grep -q 'process_max_fds{job="time-server"} > 0.99$' "$copy" || fail "sed did not change the threshold"

if "$promtool" test rules "$work/$(basename "$tests")" >"$work/after.log" 2>&1; then
    fail "promtool test rules passed with the threshold at 0.99: the tests do not check it"
fi
grep -q 'alertname: TimeServerDescriptorsNearLimit' "$work/after.log" ||
    { cat "$work/after.log" >&2; fail "promtool failed, but not on TimeServerDescriptorsNearLimit"; }
echo "broken_rule_fails: with the threshold at 0.99, promtool test rules fails as it should:"
cat "$work/after.log"
