#!/usr/bin/env bash
# Fuzz the Rust core with the proptest properties of rust/core/tests/fuzz.rs for a bounded
# time: many more cases than `cargo test` runs. Usage: benches/fuzz.sh [CASES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${1:-20000}
SECONDS_LIMIT=${2:-600}
echo "proptest fuzzing: $CASES cases per property, at most $SECONDS_LIMIT s"
start=$(date +%s)
PROPTEST_CASES=$CASES timeout "$SECONDS_LIMIT" \
  cargo test --release -p gmmi-core --test fuzz -- --test-threads=2
echo "done in $(( $(date +%s) - start )) s"
