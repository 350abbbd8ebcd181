"""Every copy CI reads (SPEC §10): the secret stores of a repository behind one record
type. A `Store` is Actions, Dependabot or one deployment environment — its name in
output, its endpoints and the permission it needs (`store`); `--stores` chooses which
families a command looks at (`selection`); a `Copy` is what one store holds of the
secret in one repository, and a `Pair` is a (repository, store) a rotation writes
(`copies`). Records only: the client (`ccat.pat.github`) takes a `Store` to build its
requests, and the engines use the rest."""

from ccat.pat.stores.copies import Copy, CopyState, Pair, pair_label
from ccat.pat.stores.selection import FAMILIES, Family, StoreSelection
from ccat.pat.stores.store import ACTIONS, DEPENDABOT, Store, StoreKind, is_environment_name

__all__ = [
    "ACTIONS",
    "DEPENDABOT",
    "FAMILIES",
    "Copy",
    "CopyState",
    "Family",
    "Pair",
    "Store",
    "StoreKind",
    "StoreSelection",
    "is_environment_name",
    "pair_label",
]
