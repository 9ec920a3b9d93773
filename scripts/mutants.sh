#!/usr/bin/env bash
# Mutation testing of the behaviour modules, with the Gherkin suite as the
# only test: cargo-mutants mutates one crate's code, and for each mutant
# builds and runs only the conformance target (the whole suite against the
# embedded stack). A mutant the suite does not notice is "missed".
#
#   scripts/mutants.sh mdm   [SHARD] [FILE-GLOB...]   # reference-mdm's behaviour modules
#   scripts/mutants.sh sim   [SHARD] [FILE-GLOB...]   # android-sim's rule modules
#   scripts/mutants.sh score DIR...                   # the score of finished runs
#
# SHARD is k/n (default 0/1, everything), round-robin: shard k takes every
# n-th mutant starting at the k-th, so one shard is an even sample of all
# modules and the n shards together are the whole run. Each writes
# target/mutants/<crate>-<k>of<n>/mutants.out. FILE-GLOBs narrow the run.
# The mutants are made in a worktree of the committed HEAD at
# target/mutants/tree (your checkout is never touched; commit first), built
# with the `mutants` profile (no debug info); the worktree keeps its own
# target/, so a second run is incremental.
# Not run in CI: the whole run takes many hours on a 2-core machine
# (docs/mutation.md). Needs `cargo install cargo-mutants --locked` (27.1.0).
set -euo pipefail
cd "$(dirname "$0")/.."

# The lines of one outcome list (caught, missed, timeout, unviable) over
# every run directory given.
count() {
    local kind="$1" n=0 dir
    shift
    for dir in "$@"; do
        if [ -f "$dir/mutants.out/$kind.txt" ]; then
            n=$((n + $(wc -l <"$dir/mutants.out/$kind.txt")))
        fi
    done
    echo "$n"
}

score() {
    local caught missed timeout unviable dir
    caught=$(count caught "$@")
    missed=$(count missed "$@")
    timeout=$(count timeout "$@")
    unviable=$(count unviable "$@")
    local tested=$((caught + missed + timeout))
    echo "caught $caught, missed $missed, timeout $timeout, unviable $unviable"
    if [ "$tested" -gt 0 ]; then
        # A timeout counts as caught: the mutant made the suite hang.
        echo "score: $(( (caught + timeout) * 100 / tested ))% of $tested viable mutants killed"
    fi
    if [ "$missed" -gt 0 ]; then
        echo "missed (triage each in docs/mutation.md):"
        for dir in "$@"; do
            [ -f "$dir/mutants.out/missed.txt" ] && sed 's/^/  /' "$dir/mutants.out/missed.txt"
        done
    fi
    return 0
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
        shift
        score "${@:?usage: scripts/mutants.sh score DIR...}"
        exit 0
        ;;
    *)
        sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
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
root=$(pwd)
dir="$root/target/mutants/$what-${shard/\//of}"
tree="$root/target/mutants/tree"
mkdir -p "$dir"
# The worktree: the committed HEAD, reset before every run (cargo-mutants
# puts each mutated file back, but a run cut short can leave one behind).
if [ -d "$tree/.git" ] || [ -f "$tree/.git" ]; then
    git -C "$tree" checkout --quiet --detach --force "$(git rev-parse HEAD)"
    git -C "$tree" reset --quiet --hard
else
    git worktree add --quiet --detach --force "$tree" HEAD
fi
cd "$tree"
# The baseline: the unmutated suite must pass here, built and run exactly
# as each mutant will be. cargo-mutants' own baseline cannot be used: 27.1.0
# runs it in the mutated crate whatever --test-workspace says (lab.rs), and
# that crate has no conformance target.
cargo test --profile mutants --workspace --test conformance >"$dir/baseline.log" 2>&1 || {
    echo "the unmutated suite fails in $tree; see $dir/baseline.log" >&2
    exit 1
}
# In place, so one mutant at a time (the suite starts many stacks at once
# and the machine has 2 cores). For each mutant, cargo-mutants runs
# `cargo test --no-run --workspace --test=conformance` and then the same
# without --no-run: --test-workspace makes it --workspace, and the cargo
# argument narrows both to the one test binary, so a mutant rebuilds the
# mutated crate, the harness and that binary, not every test target.
# Without a baseline the timeouts are fixed: the suite takes seconds, so a
# mutant still running after two minutes hangs it (counted as caught).
set +e
cargo mutants --in-place --package "$package" --test-workspace true "${file_args[@]}" \
    --shard "$shard" --sharding round-robin --baseline skip --timeout 120 --build-timeout 900 \
    --profile mutants --cargo-arg=--test=conformance --output "$dir"
status=$?
set -e
score "$dir"
# A run that tested nothing (a FILE-GLOB that matched no file, a shard past
# the end) is not a score.
if [ $(($(count caught "$dir") + $(count missed "$dir") + $(count timeout "$dir") + $(count unviable "$dir"))) -eq 0 ]; then
    echo "no mutant was tested: check the FILE-GLOBs and the shard" >&2
    exit 2
fi
# cargo-mutants exits 2 when mutants were missed, 3 on timeouts: the score says it.
exit $((status == 2 || status == 3 ? 0 : status))
