#!/usr/bin/env bash
# The main job a learner does, on workspaces made from the embedded
# catalogue: `coach check` of step 3's reference solution in each language
# (each must pass), then of the step-1 starter (it must fail, with hints).
# `make run` runs this after set-up; `make verify` proves the whole
# catalogue instead (every step, every mutant).
set -euo pipefail
coach=${COACH:-bin/coach}
catalogue=exercises/backend
step=${STEP:-3}
root=$(mktemp -d "${TMPDIR:-/tmp}/coach-run.XXXXXX")
trap 'rm -rf "$root"' EXIT
solutions=$(ls -d "$catalogue"/step-"$(printf %02d "$step")"-*/solutions)

for lang in node go python; do
  dir=$root/$lang
  # The learner's path: coach start, then their code (here the solution).
  "$coach" -C "$dir" start "step-$step" --lang "$lang" >/dev/null
  cp -R "$solutions/$lang/." "$dir"
  for t in "$dir"/*.tmpl; do [ -e "$t" ] && mv "$t" "${t%.tmpl}"; done
  echo "== coach check step-$step, the reference solution in $lang"
  if ! "$coach" -C "$dir" check >"$root/$lang.out" 2>&1; then
    cat "$root/$lang.out"
    echo "FAIL: the $lang solution of step $step did not pass" >&2
    exit 1
  fi
  grep -E '^[0-9]+ passed|passed!' "$root/$lang.out"
done

dir=$root/starter
"$coach" -C "$dir" start step-1 --lang node >/dev/null
echo "== coach check step-1, the node starter as coach start writes it (fails, with hints)"
set +e
"$coach" -C "$dir" check
code=$?
set -e
if [ "$code" != 1 ]; then
  echo "FAIL: the step-1 starter should fail its tests (exit 1), got exit $code" >&2
  exit 1
fi
echo "== ok: the solutions pass, the starter fails with hints (exit 1, as a learner sees it)"
