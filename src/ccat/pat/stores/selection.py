"""`--stores`: which families of stores a command looks at, and whether the operator
chose them (a store named on purpose that cannot be read fails the check; one that
came only from the default does not, SPEC §10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["actions", "dependabot", "environments"]
FAMILIES: tuple[Family, ...] = ("actions", "dependabot", "environments")
# What each family needs of the operator credential, for docs and messages.
PERMISSIONS: dict[Family, str] = {
    "actions": "secrets",
    "dependabot": "dependabot_secrets",
    "environments": "environments",
}
FINE_GRAINED: dict[Family, str] = {
    "actions": "Secrets",
    "dependabot": "Dependabot secrets",
    "environments": "Environments",
}


@dataclass(frozen=True)
class StoreSelection:
    """The families chosen, in the order of `FAMILIES`; `explicit` when `--stores` named
    them (False: the default, all three)."""

    families: tuple[Family, ...] = FAMILIES
    explicit: bool = False

    @classmethod
    def parse(cls, text: str | None) -> StoreSelection:
        """`--stores LIST` (comma-separated, any case, spaces allowed); None: the
        default. ValueError naming what is wrong."""
        if text is None:
            return cls()
        given = [part.strip().lower() for part in text.split(",") if part.strip()]
        if not given:
            raise ValueError("--stores needs at least one of actions, dependabot, environments")
        unknown = [part for part in given if part not in FAMILIES]
        if unknown:
            raise ValueError(
                f"--stores: unknown store {unknown[0]!r}; choose from actions, dependabot, "
                "environments (comma-separated)"
            )
        return cls(tuple(f for f in FAMILIES if f in given), explicit=True)

    @classmethod
    def only(cls, *families: Family) -> StoreSelection:
        """Exactly these families, as if named with `--stores`."""
        return cls(tuple(f for f in FAMILIES if f in families), explicit=True)

    def __contains__(self, family: object) -> bool:
        return family in self.families

    @property
    def text(self) -> str:
        """`actions,dependabot`: as `--stores` would name them."""
        return ",".join(self.families)

    def without(self, family: Family) -> str:
        """The `--stores` value that leaves `family` out knowingly."""
        return ",".join(f for f in self.families if f != family) or "actions"
