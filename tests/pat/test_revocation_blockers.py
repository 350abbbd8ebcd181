"""The one rule of `revoke` (SPEC §11), over a status report: no blocker exactly when
`status` says it is safe to revoke, every copy that does not hold the newest completed
rotation's token named, no copy that does. Pure: reports and journal runs made here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    RotationRun,
    TargetRecord,
    TokenInfo,
    iso,
)
from ccat.pat.revocation import revocation_blockers
from ccat.pat.status import SecretStatus, StatusReport, assess, find_unfinished

NOW = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
STARTED = NOW - timedelta(days=2)
SITUATIONS = ("covered", "missed", "changed", "missing", "error", "organization", "left out")


def run_of(names: list[str], left_out: set[str], state: str = "completed") -> RotationRun:
    targets = [
        TargetRecord.pending(name)
        .started(iso(STARTED + timedelta(seconds=i)))
        .succeeded(204, iso(STARTED + timedelta(seconds=i + 1)))
        for i, name in enumerate(names)
        if name not in left_out
    ]
    if state != "completed":
        targets.append(TargetRecord.pending("ccatobs/never-written"))
    return RotationRun(
        run_id="20261123T190000Z-abcdef",
        secret="GH_PAT",
        org="ccatobs",
        api_url="https://api.github.com",
        graph=GraphFile("ci/dependency-graph.yml", "0" * 64),
        state=state,  # type: ignore[arg-type]
        started_at=iso(STARTED),
        finished_at=iso(STARTED + timedelta(minutes=5)),
        operator="alice",
        token=TokenInfo(Fingerprint.of("t"), "bot", None, "fine-grained"),
        targets=targets,
    )


def result_of(name: str, situation: str, index: int) -> SecretStatus:
    written = STARTED + timedelta(seconds=index)
    if situation in ("covered", "left out"):
        return SecretStatus(name, "present", iso(written), via="repository")
    if situation == "missed":
        return SecretStatus(name, "present", iso(written - timedelta(days=30)), via="repository")
    if situation == "changed":
        return SecretStatus(name, "present", iso(NOW - timedelta(hours=1)), via="repository")
    if situation == "organization":
        return SecretStatus(name, "present", iso(written), via="organization")
    if situation == "missing":
        return SecretStatus(name, "missing")
    return SecretStatus(name, "error", error="HTTP 502: Bad Gateway", http_status=502)


@given(
    situations=st.lists(st.sampled_from(SITUATIONS), min_size=1, max_size=8),
    journal=st.sampled_from(["completed", "stopped", "none"]),
)
def test_blockers_agree_with_status_and_name_each_copy_in_the_way(
    situations: list[str], journal: str
) -> None:
    names = [f"ccatobs/repository-{i}" for i in range(len(situations))]
    left_out = {n for n, s in zip(names, situations, strict=True) if s == "left out"}
    runs = [] if journal == "none" else [run_of(names, left_out, journal)]
    report = StatusReport(
        "GH_PAT",
        "ccatobs",
        iso(NOW),
        tuple(result_of(n, s, i) for i, (n, s) in enumerate(zip(names, situations, strict=True))),
    )
    unfinished = find_unfinished(runs, holder=None, report=report)
    outlook = assess(report, runs, NOW, unfinished=unfinished)
    blockers = revocation_blockers(report, outlook)
    assert (not blockers) == (outlook.safe_to_revoke is not None)
    named = {b.repository for b in blockers if b.repository is not None}
    if journal == "completed":
        in_the_way = {n for n, s in zip(names, situations, strict=True) if s != "covered"}
        assert named == in_the_way
        assert all(b.reason for b in blockers)
    elif journal == "stopped":
        # Both tokens in use: said once for the graph, and the copies it did not write.
        assert any(b.repository is None and "unfinished" in b.reason for b in blockers)
        assert "ccatobs/never-written" in named
    else:
        assert any("records no completed rotation" in b.reason for b in blockers)
        assert named == set(names)


def test_the_reasons_say_why_in_words() -> None:
    names = [f"ccatobs/{s.replace(' ', '-')}" for s in SITUATIONS]
    left_out = {"ccatobs/left-out"}
    report = StatusReport(
        "GH_PAT",
        "ccatobs",
        iso(NOW),
        tuple(result_of(n, s, i) for i, (n, s) in enumerate(zip(names, SITUATIONS, strict=True))),
    )
    runs = [run_of(names, left_out)]
    outlook = assess(report, runs, NOW)
    reasons = {b.copy: b.reason for b in revocation_blockers(report, outlook)}
    assert "ccatobs/covered" not in reasons
    assert "it still holds the previous token" in reasons["ccatobs/missed"]
    assert "someone set another value since" in reasons["ccatobs/changed"]
    assert reasons["ccatobs/missing"] == "the secret is missing"
    assert reasons["ccatobs/error"] == "could not be checked (HTTP 502: Bad Gateway)"
    assert "organisation's secret, which no rotation writes" in reasons["ccatobs/organization"]
    assert "did not include it" in reasons["ccatobs/left-out"]
