#!/usr/bin/env bash
# Rotate GH_PAT with the new token taken from a password manager, through a pipe: the
# token never appears in argv, in the shell's history or in a file.
#
#   examples/rotate-from-password-manager.sh [ENTRY]      (default entry: ci/gh-pat)
#
# It uses `pass` (https://www.passwordstore.org); for 1Password replace `pass show
# "$entry"` with `op read "op://CI/gh-pat/credential"`, for Bitwarden with
# `bw get password gh-pat`. Run it from the repository that holds
# ci/dependency-graph.yml, with the operator credential in GH_TOKEN (or `gh auth login`).
set -euo pipefail

entry="${1:-ci/gh-pat}"

token() {
    # The first line of the entry is the token, as `pass` stores passwords.
    pass show "$entry" | head -n 1
}

# 1. Prove the token in every repository and show the plan; nothing is written.
token | ccat pat rotate --dry-run

# 2. Rotate. Without a terminal on stdin ccat asks no question. If a write fails, the
#    script stops here (exit 1) with the exact list of repositories already updated;
#    run it again with `--resume` as below, or simply run it again.
if ! token | ccat pat rotate; then
    echo "rotation stopped: fix the error above, then:" >&2
    echo "  $0 $entry   (again: writing every repository twice is safe)" >&2
    echo "  or: pass show $entry | head -n 1 | ccat pat rotate --resume" >&2
    exit 1
fi

# 3. Every repository should now hold the new token; status says when it is safe to
#    revoke the previous one.
ccat pat status
