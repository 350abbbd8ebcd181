"""Preflight (SPEC §4.2): everything a rotation checks before its first write, at once.

Both tokens (`GET /user`; a classic token's repo and workflow scopes), every target's
public key, the new token reading each target's workflow runs (what CI needs), and on
`--resume` that GitHub still holds each recorded write. Every failure is collected, so
the operator sees all of them at once; nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import anyio

from ccat.commands.credentials import gh_hostname
from ccat.pat.errors import (
    AuthenticationError,
    GitHubError,
    InvalidNewTokenError,
    PreflightError,
    PreflightFailure,
    SealingError,
    credential_rejected,
)
from ccat.pat.github import GitHubClient, PublicKey, SecretInfo, User, load_public_key
from ccat.pat.journal import TargetRecord, token_kind
from ccat.pat.reach import (
    POLICY_HINT,
    access_hint,
    held_by_policy,
    refused_access,
    refused_by_policy,
)
from ccat.pat.rotation.plan import Preflight, RotateOptions, TokenCheck
from ccat.pat.settings import CLOCK_SKEW
from ccat.pat.times import parse_iso

REQUIRED_SCOPES = ("repo", "workflow")


async def run_preflight(
    options: RotateOptions,
    client: GitHubClient,
    to_set: Sequence[str],
    skip: Mapping[str, TargetRecord],
) -> tuple[Preflight, dict[str, str]]:
    """Run every check; return what was learnt and the skipped targets to write again
    (repository -> why). Raises `InvalidNewTokenError` or `PreflightError`."""
    return await _Preflight(options, client, to_set, skip).run()


class _Preflight:
    """The checks of SPEC §4.2, run concurrently under one limiter; collects failures."""

    def __init__(
        self,
        options: RotateOptions,
        client: GitHubClient,
        to_set: Sequence[str],
        skip: Mapping[str, TargetRecord],
    ) -> None:
        self.options = options
        self.client = client
        self.to_set = to_set
        self.skip = skip  # repository -> its `updated` record in the run being resumed
        self.limiter = anyio.CapacityLimiter(options.concurrency)
        self.failures: list[PreflightFailure] = []
        self.reached = 0  # repositories the new token was asked to reach
        self.unreached: list[str] = []  # those that answered 403 or 404
        self.keys: dict[str, PublicKey] = {}
        self.redo: dict[str, str] = {}
        self.users: dict[str, User] = {}
        # Set once GitHub has answered about the new token, whatever it said.
        self.new_token_checked = anyio.Event()
        self.new_token_rejected = False
        self.operator_rejected = False
        self.done = 0
        self.total = 0

    async def run(self) -> tuple[Preflight, dict[str, str]]:
        new_token = self.options.new_token
        reach = new_token is not None
        # The new token's reach is only worth checking once GitHub knows the token.
        self.total = 1 + (1 if reach else 0) + len(self.to_set) * (2 if reach else 1)
        self.total += len(self.skip)
        async with anyio.create_task_group() as group:
            group.start_soon(self._user, "operator", None)
            if new_token is not None:
                group.start_soon(self._user, "new", new_token)
            for repository in self.to_set:
                group.start_soon(self._key, repository)
                if new_token is not None:
                    group.start_soon(self._reach, repository, new_token)
            for repository, record in self.skip.items():
                group.start_soon(self._verify, repository, record)
        if self.operator_rejected:
            # Said once (exit 4), not as a 401 for every repository's key; the new
            # token's rejection is said with it.
            also = (
                "; so was the new token (copy it again from GitHub's token page)"
                if self.new_token_rejected
                else ""
            )
            raise credential_rejected(
                self.options.operator_source,
                gh_hostname(self.options.api_url),
                f"nothing was written{also}",
            )
        if self.new_token_rejected:
            raise InvalidNewTokenError(
                "the new token is not valid: GitHub rejected it (GET /user answered 401); "
                "nothing was written",
                hint="copy the token again from GitHub's token page; it may be expired or revoked",
            )
        if new_token is not None and held_by_policy(
            token_kind(new_token), self.reached, self.unreached
        ):
            reason = (
                "GitHub knows it (GET /user), but it cannot read any of the "
                f"{self.reached} repositories"
            )
            self.failures.append(PreflightFailure("the new token", reason, POLICY_HINT))
        if self.failures:
            ordered = self._ordered()
            raise PreflightError(
                f"preflight failed for {len(ordered)} of {self.total} checks; nothing was written",
                failures=ordered,
                hint="fix these, then run the same command again",
            )
        new = self.users.get("new")
        preflight = Preflight(
            operator=self.users["operator"].login,
            new_token=None
            if new is None or new_token is None
            else TokenCheck.of(new, token_kind(new_token)),
            keys=self.keys,
        )
        return preflight, self.redo

    def _ordered(self) -> list[PreflightFailure]:
        """Token failures first, then repositories in target order."""
        order = {repo.lower(): i for i, repo in enumerate([*self.to_set, *self.skip])}
        return sorted(self.failures, key=lambda f: order.get(f.subject.lower(), -1))

    def _tick(self) -> None:
        self.done += 1
        if self.options.listener is not None:
            self.options.listener.preflight_checked(self.done, self.total)

    async def _user(self, which: Literal["operator", "new"], token: str | None) -> None:
        try:
            await self._check_user(which, token)
        finally:
            if which == "new":
                self.new_token_checked.set()

    async def _check_user(self, which: Literal["operator", "new"], token: str | None) -> None:
        subject = "the operator credential" if which == "operator" else "the new token"
        async with self.limiter:
            try:
                # The operator may be a GitHub App installation, which has no user.
                user = await (
                    self.client.identify(token)
                    if which == "operator"
                    else self.client.get_user(token)
                )
            except AuthenticationError:
                # Said once, after every check (the new token's reach checks are skipped).
                if which == "new":
                    self.new_token_rejected = True
                else:
                    self.operator_rejected = True
                return
            except GitHubError as exc:
                self.failures.append(PreflightFailure(subject, f"GET /user: {exc.describe()}"))
                return
            finally:
                self._tick()
        self.users[which] = user
        if which == "new":
            missing = [
                s for s in REQUIRED_SCOPES if user.scopes is not None and s not in user.scopes
            ]
            if missing:
                has = ", ".join(user.scopes or ()) or "none"
                self.failures.append(
                    PreflightFailure(
                        subject,
                        f"a classic token without the scope{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)} (it has: {has})",
                        "edit the token on GitHub (Settings > Developer settings > Personal "
                        "access tokens) to add the repo and workflow scopes, or use a "
                        "fine-grained token",
                    )
                )

    async def _key(self, repository: str) -> None:
        async with self.limiter:
            try:
                fetched = await self.client.get_public_key(repository)
                load_public_key(fetched.key)
            except GitHubError as exc:
                self.failures.append(
                    PreflightFailure(repository, f"public key: {exc.describe()}", exc.hint)
                )
            except SealingError as exc:
                self.failures.append(PreflightFailure(repository, f"public key: {exc.message}"))
            else:
                self.keys[repository] = fetched
            finally:
                self._tick()

    async def _reach(self, repository: str, token: str) -> None:
        """The new token must read the repository's workflow runs, as CI will."""
        await self.new_token_checked.wait()
        if "new" not in self.users:  # rejected or unchecked: said once, not per repository
            self._tick()
            return
        async with self.limiter:
            self.reached += 1
            try:
                await self.client.check_runs_readable(repository, token)
            except GitHubError as exc:
                if refused_by_policy(exc.status, exc.accepted_permissions):
                    self.unreached.append(repository)
                if refused_access(exc):
                    reason = (
                        f"the new token cannot read Actions in this repository ({exc.describe()})"
                    )
                else:
                    reason = f"reading Actions with the new token: {exc.describe()}"
                hint = access_hint(exc, "the new token")
                self.failures.append(PreflightFailure(repository, reason, hint))
            finally:
                self._tick()

    async def _verify(self, repository: str, record: TargetRecord) -> None:
        """`--resume` trusts an `updated` record only if GitHub's value is at least as
        recent as that write: a hand-edited or stale journal must not skip a repository.
        One that is written again is checked as any write is: its key, the token's reach."""
        async with self.limiter:
            try:
                found = await self.client.find_secret(repository, self.options.secret)
            except GitHubError as exc:
                reason = f"checking the recorded write: {exc.describe()}"
                self.failures.append(PreflightFailure(repository, reason, exc.hint))
                return
            finally:
                self._tick()
        note = _redo_note(record, found)
        if note is None:
            return
        self.redo[repository] = note
        new_token = self.options.new_token
        self.total += 1 if new_token is None else 2
        await self._key(repository)
        if new_token is not None:
            await self._reach(repository, new_token)


def _redo_note(record: TargetRecord, found: SecretInfo | None) -> str | None:
    """Why an `updated` record must be written again (GitHub's secret `found` is not that
    write), or None when GitHub confirms it."""
    started = parse_iso(record.started_at)
    updated = None if found is None else parse_iso(found.updated_at)
    if found is None:
        return "recorded as updated, but GitHub has no such secret: set again"
    if started is None or updated is None:
        return "recorded as updated without a usable time: set again"
    if updated < started - CLOCK_SKEW:
        return (
            f"recorded as updated, but GitHub's value dates from {found.updated_at}, "
            "before that write: set again"
        )
    return None
