"""GitHub's secret-name rule, which ccat's `--secret` and the emulator share
(`ccat.pat.github_rules`): both sides accept and refuse the same names."""

from __future__ import annotations

import pytest

from ccat.commands.inputs import checked_secret_name
from ccat.fakehub import FakeHub
from ccat.pat.errors import UsageError
from ccat.pat.github_rules import is_secret_name

REFUSED = [
    "",
    "1PAT",  # starts with a digit
    "GITHUB_PAT",
    "github_pat",  # the reserved prefix in any case
    "GH-PAT",
    "GH PAT",
    "GH_PAT\n",  # `$` in a `re.match` let a final newline through
    "\u0131X",  # dotless i: upper-cased, it is the letter I
    "\uff27\uff28_PAT",  # full-width letters
]


@pytest.mark.parametrize("name", ["GH_PAT", "gh_pat", "_X", "A1_B2", "GITHUB"])
def test_a_name_github_accepts_is_accepted_on_both_sides(name: str) -> None:
    assert is_secret_name(name)
    assert checked_secret_name(name) == name.upper()
    hub = FakeHub(["ccatobs/a"])  # its records only: not started
    hub.set_org_secret("ccatobs", name, "v")
    assert hub.org_secret("ccatobs", name) is not None


@pytest.mark.parametrize("name", REFUSED)
def test_a_name_github_refuses_is_refused_on_both_sides(name: str) -> None:
    assert not is_secret_name(name)
    with pytest.raises(UsageError):
        checked_secret_name(name)
    with pytest.raises(ValueError, match="name"):
        FakeHub(["ccatobs/a"]).set_org_secret("ccatobs", name, "v")
