"""Preflight (SPEC §4.2, §10): everything a rotation checks before its first write.

Both tokens (`GET /user`; a classic token's repo and workflow scopes) and where the
copies are (each selected store of each target: a store the operator credential cannot
read refuses the rotation), then the public key of every (repository, store) pair to
write, the new token reading each target's workflow runs (what CI needs), and on
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
    StoreUnreadableError,
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
from ccat.pat.stores import DEPENDABOT, Pair, Store
from ccat.pat.stores.selection import FINE_GRAINED, PERMISSIONS
from ccat.pat.times import parse_iso

REQUIRED_SCOPES = ("repo", "workflow")


async def run_preflight(
    options: RotateOptions,
    client: GitHubClient,
    repositories: Sequence[str],
    skip: Mapping[tuple[str, str], TargetRecord],
    families: Sequence[str] = ("actions",),
) -> tuple[Preflight, dict[tuple[str, str], str], list[Pair]]:
    """Run every check; return what was learnt, the skipped pairs to write again (pair
    key -> why), and every pair of `repositories` in the order of SPEC §10: the Actions
    copy of each, and the copies that exist in the other stores of `families`. Raises
    `InvalidNewTokenError`, `StoreUnreadableError` or `PreflightError`."""
    return await _Preflight(options, client, repositories, skip, families).run()


class _Preflight:
    """The checks of SPEC §4.2 and §10, run concurrently under one limiter: first the
    tokens and where the copies are, then every key, the new token's reach and the
    skipped pairs; collects failures."""

    def __init__(
        self,
        options: RotateOptions,
        client: GitHubClient,
        repositories: Sequence[str],
        skip: Mapping[tuple[str, str], TargetRecord],
        families: Sequence[str],
    ) -> None:
        self.options = options
        self.client = client
        self.repositories = repositories
        self.families = families
        self.skip = skip  # pair key -> its `updated` record in the run being resumed
        self.limiter = anyio.CapacityLimiter(options.concurrency)
        self.failures: list[PreflightFailure] = []
        self.keys: dict[tuple[str, str], PublicKey] = {}
        self.redo: dict[tuple[str, str], str] = {}
        self.asked = 0  # repositories the new token was asked to reach
        self.unreached: list[str] = []  # those that refused it (refused_by_policy)
        self.users: dict[str, User] = {}
        self.found: dict[str, list[Pair]] = {}
        # family -> [(repository, X-Accepted-GitHub-Permissions)] that answered 403.
        self.unreadable: dict[str, list[tuple[str, str | None]]] = {}
        self.reached: set[str] = set()
        self.discovery_errors: dict[str, PreflightFailure] = {}
        # Set once GitHub has answered about the new token, whatever it said.
        self.new_token_checked = anyio.Event()
        self.new_token_rejected = False
        self.operator_rejected = False
        self.done = 0
        self.total = 0

    async def run(self) -> tuple[Preflight, dict[tuple[str, str], str], list[Pair]]:
        new_token = self.options.new_token
        others = [f for f in self.families if f != "actions"]
        self.total = 1 + (1 if new_token is not None else 0)
        self.total += len(self.repositories) * len(others)
        async with anyio.create_task_group() as group:
            group.start_soon(self._user, "operator", None)
            if new_token is not None:
                group.start_soon(self._user, "new", new_token)
            for repository in self.repositories:
                group.start_soon(self._discover, repository, others)
        self._refuse_rejected_tokens()
        if self.unreadable:
            raise self._unreadable_error()
        pairs = [pair for repository in self.repositories for pair in self._pairs(repository)]
        async with anyio.create_task_group() as group:
            for pair in pairs:
                record = self.skip.get(pair.key)
                if record is None:
                    self.total += 1
                    group.start_soon(self._key, pair)
                    self._reach_once(group, pair.repository)
                else:
                    self.total += 1
                    group.start_soon(self._verify, pair, record)
        failed = {failure.subject.split(" (")[0].casefold() for failure in self.failures}
        self.failures += [
            failure
            for repository, failure in self.discovery_errors.items()
            if repository.casefold() not in failed
        ]
        if new_token is not None and held_by_policy(
            token_kind(new_token), self.asked, self.unreached
        ):
            reason = (
                "GitHub knows it (GET /user), but it cannot read any of the "
                f"{self.asked} repositories"
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
        return preflight, self.redo, pairs

    def _pairs(self, repository: str) -> list[Pair]:
        found = self.found.get(repository, [])
        ordered = sorted(found, key=lambda pair: Store.parse(pair.store).order)
        return [Pair(repository), *ordered]

    def _reach_once(self, group: anyio.abc.TaskGroup, repository: str) -> None:
        """The new token's reach, once per repository that has a pair to write."""
        if self.options.new_token is None or repository.casefold() in self.reached:
            return
        self.reached.add(repository.casefold())
        self.total += 1
        group.start_soon(self._reach, repository, self.options.new_token)

    def _refuse_rejected_tokens(self) -> None:
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

    def _unreadable_error(self) -> StoreUnreadableError:
        """One sentence per store the credential cannot read: the permission it needs,
        and `--stores` to leave the store out knowingly."""
        parts = []
        for family, where in self.unreadable.items():
            needs = sorted({accepted for _, accepted in where if accepted}) or [
                f"{PERMISSIONS[family]}=read"  # type: ignore[index]
            ]
            count = len(where)
            repos = f"{count} repositor{'y' if count == 1 else 'ies'}"
            parts.append(
                f"the {family} store (HTTP 403 in {repos}, e.g. {where[0][0]}; GitHub says "
                f"it needs {', '.join(needs)}; fine-grained: "
                f"'{FINE_GRAINED[family]}' read and write, classic: repo)"  # type: ignore[index]
            )
        left = [f for f in self.families if f not in self.unreadable] or ["actions"]
        return StoreUnreadableError(
            "the operator credential cannot read "
            + "; nor ".join(parts)
            + ": the copies there could not be found, so none would be rotated; nothing "
            "was written",
            hint="give the credential that permission, or leave the store out knowingly "
            f"with --stores {','.join(left)} (CI runs that read the copy there keep the "
            "previous token)",
        )

    async def _discover(self, repository: str, families: Sequence[str]) -> None:
        """The copies of the secret in the other selected stores of `repository`."""
        secret = self.options.secret
        stores: list[Store] = []
        if "dependabot" in families:
            stores.append(DEPENDABOT)
        if "environments" in families:
            async with self.limiter:
                try:
                    names = await self.client.list_environments(repository)
                except GitHubError as exc:
                    self._discovery_failed(repository, "environments", exc)
                    names = []
                finally:
                    self._tick()
            stores += [Store.environment_named(name) for name in names]
            self.total += len(names)
        for store in stores:
            async with self.limiter:
                try:
                    found = await self.client.find_secret(repository, secret, store)
                except GitHubError as exc:
                    family = "dependabot" if store.kind == "dependabot" else "environments"
                    self._discovery_failed(repository, family, exc)
                    continue
                finally:
                    self._tick()
            if found is not None:
                self.found.setdefault(repository, []).append(Pair(repository, store.name))

    def _discovery_failed(self, repository: str, family: str, exc: GitHubError) -> None:
        if exc.status == 403:
            self.unreadable.setdefault(family, []).append((repository, exc.accepted_permissions))
            return
        if isinstance(exc, AuthenticationError):
            self.operator_rejected = True
            return
        # Said only if nothing else fails there: a repository that is not there, or a
        # dead host, fails its Actions key the same way, and that says it once.
        self.discovery_errors.setdefault(
            repository, PreflightFailure(repository, f"{family} store: {exc.describe()}", exc.hint)
        )

    def _ordered(self) -> list[PreflightFailure]:
        """Token failures first, then repositories (and pairs) in target order."""
        order = {repo.lower(): i for i, repo in enumerate(self.repositories)}

        def rank(failure: PreflightFailure) -> int:
            return order.get(failure.subject.split(" (")[0].lower(), -1)

        return sorted(self.failures, key=rank)

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

    async def _key(self, pair: Pair) -> None:
        store = Store.parse(pair.store)
        async with self.limiter:
            try:
                fetched = await self.client.get_public_key(pair.repository, store)
                load_public_key(fetched.key)
            except GitHubError as exc:
                self.failures.append(
                    PreflightFailure(pair.label, f"public key: {exc.describe()}", exc.hint)
                )
            except SealingError as exc:
                self.failures.append(PreflightFailure(pair.label, f"public key: {exc.message}"))
            else:
                self.keys[pair.key] = fetched
            finally:
                self._tick()

    async def _reach(self, repository: str, token: str) -> None:
        """The new token must read the repository's workflow runs, as CI will."""
        await self.new_token_checked.wait()
        if "new" not in self.users:  # rejected or unchecked: said once, not per repository
            self._tick()
            return
        async with self.limiter:
            self.asked += 1
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

    async def _verify(self, pair: Pair, record: TargetRecord) -> None:
        """`--resume` trusts an `updated` record only if GitHub's value is at least as
        recent as that write: a hand-edited or stale journal must not skip a pair. One
        that is written again is checked as any write is: its key, the token's reach."""
        store = Store.parse(pair.store)
        async with self.limiter:
            try:
                found = await self.client.find_secret(pair.repository, self.options.secret, store)
            except GitHubError as exc:
                reason = f"checking the recorded write: {exc.describe()}"
                self.failures.append(PreflightFailure(pair.label, reason, exc.hint))
                return
            finally:
                self._tick()
        note = _redo_note(record, found)
        if note is None:
            return
        self.redo[pair.key] = note
        new_token = self.options.new_token
        self.total += 1
        await self._key(pair)
        if new_token is not None and pair.repository.casefold() not in self.reached:
            self.reached.add(pair.repository.casefold())
            self.total += 1
            await self._reach(pair.repository, new_token)


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
