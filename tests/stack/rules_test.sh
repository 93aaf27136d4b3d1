#!/usr/bin/env bash
# ctest stack_rules: deploy/prometheus/prometheus.yml passes `promtool check config` (with its
# rules, read from the repo instead of the image path /etc/prometheus/rules), the rule files
# pass `promtool check rules`, every alert's unit tests in rules.test.yml pass
# (`promtool test rules`), and deploy/alertmanager/alertmanager.yml passes `amtool check-config`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

sed "s|/etc/prometheus/rules/|$root/deploy/prometheus/rules/|" \
  "$root/deploy/prometheus/prometheus.yml" > "$tmp/prometheus.yml"
out="$(promtool check config "$tmp/prometheus.yml" 2>&1)" || { echo "$out"; exit 1; }
echo "$out"
# The config must have found the rule files (a glob matching nothing passes silently).
grep -q "SUCCESS: [1-9][0-9]* rules found" <<<"$out" || { echo "no rules loaded"; exit 1; }

promtool check rules "$root"/deploy/prometheus/rules/*.rules.yml

# Every alert of the rule files has at least one unit test that expects it to fire.
alerts="$(grep -ho '^ *- alert: [A-Za-z]*' "$root"/deploy/prometheus/rules/*.rules.yml | awk '{print $3}' | sort -u)"
for a in $alerts; do
  if ! grep -A2 "alertname: $a\$" "$here/rules.test.yml" | grep -q "exp_alerts:\$"; then
    echo "alert $a has no unit test in which it fires"; exit 1
  fi
done
# ... and at least one in which it stays silent.
for a in $alerts; do
  if ! grep -A2 "alertname: $a\$" "$here/rules.test.yml" | grep -q "exp_alerts: \[\]"; then
    echo "alert $a has no unit test in which it stays silent"; exit 1
  fi
done
echo "every alert ($(wc -w <<<"$alerts")) has a firing and a silent test"

(cd "$here" && promtool test rules rules.test.yml)
amtool check-config "$root/deploy/alertmanager/alertmanager.yml"
