#!/usr/bin/env bash
# Rotate GH_PAT with the new token taken from a password manager, through a pipe: the
# token never appears in argv, in the shell's history or in a file.
#
#   examples/rotate-from-password-manager.sh [--yes] [ENTRY]   (default entry: ci/gh-pat)
#
# Run by a person at a terminal, ccat shows the plan and asks [y/N] there (the token on
# the pipe does not answer for you). Run unattended (cron, a CI job: no terminal), pass
# --yes, which ccat then needs. It uses `pass` (https://www.passwordstore.org); for
# 1Password replace `pass show "$entry"` with `op read "op://CI/gh-pat/credential"`,
# for Bitwarden with `bw get password gh-pat`. Run it from the repository that holds
# ci/dependency-graph.yml, with the operator credential in GH_TOKEN (or `gh auth login`).
set -euo pipefail

yes=()
if [[ "${1:-}" == "--yes" ]]; then
    yes=(--yes)
    shift
fi
entry="${1:-ci/gh-pat}"

token() {
    # The first line of the entry is the token, as `pass` stores passwords.
    pass show "$entry" | head -n 1
}

# 1. Prove the token in every repository and show the plan; nothing is written.
token | ccat pat rotate --dry-run

# 2. Rotate. ccat's exit code says what happened (docs: reference/exit-codes):
#    0 every repository holds the new token; 1 a write failed, with the exact list
#    of repositories already updated; 2 nothing was written (not confirmed, or an
#    input to fix); 4 the operator credential is missing or rejected (nothing was
#    written); 130/143/129 interrupted (the journal says how far it got).
status=0
token | ccat pat rotate "${yes[@]}" || status=$?
case "$status" in
    0) ;;
    2 | 4)
        echo "nothing was written: fix the error above, then run $0 again" >&2
        exit "$status"
        ;;
    *)
        echo "rotation stopped (exit $status): fix the error above, then:" >&2
        echo "  $0 ${yes[*]} $entry   (again: writing every repository twice is safe)" >&2
        echo "  or: pass show $entry | head -n 1 | ccat pat rotate --resume ${yes[*]}" >&2
        exit "$status"
        ;;
esac

# 3. Every repository should now hold the new token; status says when it is safe to
#    revoke the previous one.
ccat pat status
