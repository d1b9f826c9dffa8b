#!/usr/bin/env bash
# The Check step of action.yml: one run of migsafe writes the annotations (stdout), the SARIF
# file and the Markdown job summary, and the step's status is migsafe's. Reads the action's
# inputs from the environment (PATHS, FAIL_ON, BASE, ARGS, SARIF, MIGSAFE_BIN_GIVEN or
# MIGSAFE_BIN) and GitHub's (GITHUB_BASE_REF, GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY,
# GITHUB_OUTPUT).
set -uo pipefail
BIN="${MIGSAFE_BIN_GIVEN:-${MIGSAFE_BIN:-migsafe}}"
base="${BASE:-}"
if [[ -z "$base" && -n "${GITHUB_BASE_REF:-}" ]]; then
  base="origin/$GITHUB_BASE_REF"
  # A shallow checkout may lack the base branch.
  git rev-parse --verify --quiet "$base^{commit}" >/dev/null ||
    git fetch --no-tags --quiet origin "$GITHUB_BASE_REF:refs/remotes/$base" || true
fi
# The workspace belongs to another user inside a container.
git config --global --add safe.directory "${GITHUB_WORKSPACE:-$PWD}" 2>/dev/null || true
args=(check --format github --fail-on "${FAIL_ON:-error}" --output "sarif=${SARIF:-migsafe.sarif}")
summary="$(mktemp)"
args+=(--output "markdown=$summary")
[[ -n "$base" ]] && args+=(--changed-since "$base")
read -r -a extra <<<"${ARGS:-}"
read -r -a paths <<<"${PATHS:?give the migrations: with: paths: ...}"
"$BIN" "${args[@]}" "${extra[@]}" "${paths[@]}"
status=$?
[[ -n "${GITHUB_STEP_SUMMARY:-}" && -s "$summary" ]] && cat "$summary" >>"$GITHUB_STEP_SUMMARY"
rm -f "$summary"
[[ -n "${GITHUB_OUTPUT:-}" ]] && echo "exit-code=$status" >>"$GITHUB_OUTPUT"
exit "$status"
