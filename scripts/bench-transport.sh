#!/usr/bin/env bash
# Side-by-side figures for the sandbox transport (issue: the Docker sandbox
# wherever learners are): warm `coach check 3` on the Node and Go reference
# solutions, and a burst of 150 concurrent connections, with the coach of
# BASE (default: the last commit with the Unix-socket relay) and this tree's
# coach, interleaved in one run. Needs a running engine and the runtime
# images (make setup).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-7fee521}
RUNS=${RUNS:-10}

work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" 2>/dev/null || true; rm -rf "$work"' EXIT
git worktree add --detach -q "$work/base" "$BASE"
(cd "$work/base" && CGO_ENABLED=0 go build -o "$work/coach-before" ./cmd/coach)
make -s build >/dev/null
cp bin/coach "$work/coach-after"

sol=exercises/backend/step-03-todo-api/solutions
mkdir -p "$work/node" "$work/go"
cp "$sol/node/"* "$work/node/"
cp "$sol/go/main.go" "$work/go/" && cp "$sol/go/go.mod.tmpl" "$work/go/go.mod"

# A one-step catalogue whose only test is a burst of 150 requests at once.
cat=$work/cat
mkdir -p "$cat/burst"
cat > "$cat/roadmap.yaml" <<'YAML'
name: bench
title: transport benchmark
steps:
  - {step: 1, id: burst, dir: burst}
YAML
sed -n '/^id:/,$p' exercises/backend/step-01-hello-server/exercise.yaml | sed -e 's/^id: .*/id: burst/' -e 's/^points: .*/points: 1/' > "$cat/burst/exercise.yaml"
cp exercises/backend/step-01-hello-server/{README.md,hints.yaml} "$cat/burst/"
cat > "$cat/burst/suite.yaml" <<'YAML'
tests:
  - id: burst-150
    name: 150 requests at once all answer
    hint: none
    steps:
      - burst:
          count: 150
          request: {method: GET, path: /health}
          counts: {200: 150}
YAML
cp -r exercises/backend/step-01-hello-server/solutions "$cat/burst/" 2>/dev/null || true

export COACH_CONFIG=$work/none.yaml NO_COLOR=1
for v in before after; do # warm the images and relays
  "$work/coach-$v" --dir "$work/node" check 3 >/dev/null
  "$work/coach-$v" --dir "$work/go" check 3 >/dev/null
  "$work/coach-$v" --catalog "$cat" --dir "$work/go" check 1 >/dev/null
done
# Interleaved (before, after, before, after, ...) so that load from anything
# else on the machine falls on both alike; medians in milliseconds.
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| warm run, median of $RUNS (ms) | socket relay ($BASE) | engine API | ratio |"
echo "|---|---|---|---|"
for row in "node check 3|--dir $work/node check 3" "go check 3|--dir $work/go check 3" "burst 150, whole check|--catalog $cat --dir $work/go check 1"; do
  name=${row%%|*}; args=${row#*|}
  : > "$work/before.txt"; : > "$work/after.txt"
  for _ in $(seq "$RUNS"); do
    # shellcheck disable=SC2086
    ms "$work/coach-before" $args >> "$work/before.txt"
    # shellcheck disable=SC2086
    ms "$work/coach-after" $args >> "$work/after.txt"
  done
  b=$(median < "$work/before.txt"); a=$(median < "$work/after.txt")
  echo "| $name | $b | $a | $(python3 -c "print(f'{$a/$b:.2f}')") |"
done
# The burst alone: the test's own duration_ms from the results JSON.
echo
echo "| burst of 150 connections, test duration_ms (median of $RUNS) | socket relay ($BASE) | engine API |"
echo "|---|---|---|"
declare -A med
: > "$work/d-before.txt"; : > "$work/d-after.txt"
for _ in $(seq "$RUNS"); do
  for v in before after; do
    "$work/coach-$v" --catalog "$cat" --dir "$work/go" check 1 --format json -o "$work/r.json" >/dev/null || true
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tests"][0]["duration_ms"])' "$work/r.json" >> "$work/d-$v.txt"
  done
done
for v in before after; do med[$v]=$(median < "$work/d-$v.txt"); done
echo "| go step-3 server | ${med[before]} ms | ${med[after]} ms |"
