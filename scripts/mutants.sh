#!/usr/bin/env bash
# Mutation testing of the behaviour modules, with the Gherkin suite as the
# only test: cargo-mutants mutates one crate's code, and for each mutant runs
# `cargo test -p lockstep --test conformance` (the whole suite against the
# embedded stack). A mutant the suite does not notice is "missed".
#
#   scripts/mutants.sh mdm   [SHARD] [FILE-GLOB...]   # reference-mdm's behaviour modules
#   scripts/mutants.sh sim   [SHARD] [FILE-GLOB...]   # android-sim's rule modules
#   scripts/mutants.sh score DIR                      # the score of a finished run
#
# SHARD is k/n (default 0/1, everything): run the n shards on n machines or
# one after another; each writes target/mutants/<crate>-<k>of<n>/mutants.out.
# FILE-GLOBs narrow the run (e.g. simulators/mdm/src/actions.rs), for a sample.
# Not run in CI: a full run takes hours on a 2-core machine (docs/mutation.md).
# Needs `cargo install cargo-mutants --locked` (tested with 27.1.0).
set -euo pipefail
cd "$(dirname "$0")/.."

score() {
    local out="$1/mutants.out"
    local caught missed timeout unviable
    caught=$(wc -l <"$out/caught.txt" 2>/dev/null || echo 0)
    missed=$(wc -l <"$out/missed.txt" 2>/dev/null || echo 0)
    timeout=$(wc -l <"$out/timeout.txt" 2>/dev/null || echo 0)
    unviable=$(wc -l <"$out/unviable.txt" 2>/dev/null || echo 0)
    local tested=$((caught + missed + timeout))
    echo "caught $caught, missed $missed, timeout $timeout, unviable $unviable"
    if [ "$tested" -gt 0 ]; then
        # A timeout counts as caught: the mutant made the suite hang.
        echo "score: $(( (caught + timeout) * 100 / tested ))% of $tested viable mutants killed"
    fi
    if [ "$missed" -gt 0 ]; then
        echo "missed (triage each in docs/mutation.md):"
        sed 's/^/  /' "$out/missed.txt"
    fi
}

what="${1:-}"
case "$what" in
    mdm)
        package=reference-mdm
        files=(simulators/mdm/src/actions.rs simulators/mdm/src/reset.rs simulators/mdm/src/outcome.rs
               simulators/mdm/src/passcode_rules.rs simulators/mdm/src/passcode.rs simulators/mdm/src/mail.rs
               simulators/mdm/src/vendor.rs simulators/mdm/src/mdm.rs simulators/mdm/src/api/console.rs
               simulators/mdm/src/api/portal.rs simulators/mdm/src/api/pubsub.rs)
        ;;
    sim)
        package=android-sim
        files=(simulators/android/src/platform.rs simulators/android/src/keyguard.rs
               simulators/android/src/policy.rs simulators/android/src/agent.rs
               'simulators/android/src/device/*.rs')
        ;;
    score)
        score "${2:?usage: scripts/mutants.sh score DIR}"
        exit 0
        ;;
    *)
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
shard="${2:-0/1}"
shift $(($# < 2 ? $# : 2))
if [ "$#" -gt 0 ]; then
    files=("$@")
fi
file_args=()
for f in "${files[@]}"; do
    file_args+=(--file "$f")
done
dir="target/mutants/$what-${shard/\//of}"
mkdir -p "$dir"
# One job: the suite starts many stacks at once and the machine has 2 cores.
# The timeout multiplier leaves room for a loaded machine; a mutant that
# makes the suite hang is a timeout, which counts as caught. The build
# directory starts from a copy of target/, so only the mutated crate and
# its dependents are rebuilt for each mutant.
set +e
# --test-workspace, not --test-package lockstep: cargo-mutants 27.1.0 ran
# `cargo test --package=<mutated crate> --test conformance` with the latter,
# which has no such target (docs/mutation.md).
cargo mutants --package "$package" --test-workspace true "${file_args[@]}" \
    --shard "$shard" --jobs 1 --timeout-multiplier 3 --copy-target true --output "$dir" \
    -- --test conformance
status=$?
set -e
score "$dir"
# cargo-mutants exits 2 when mutants were missed, 3 on timeouts: the score says it.
exit $((status == 2 || status == 3 ? 0 : status))
