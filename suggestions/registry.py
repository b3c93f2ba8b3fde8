"""The source registry as the suggester and the Label Studio pull match found names against it."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from suggestions.attribution import normalize_source_name


@dataclass
class SourceIndex:
    """The source registry, normalized once, for matching many found names.

    The one source-name matcher (match_source below is its one-off form): an exact name or alias
    match wins, else the longest registry name or alias contained in the found name as whole words
    (earliest entry on ties).
    """

    exact: dict[str, Hashable] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    kinds: dict[Hashable, str | None] = field(default_factory=dict)
    ranks: dict[Hashable, int] = field(default_factory=dict)
    longest_words: int = 0

    def add(self, source_id: Hashable, name: str, *, kind: str | None = None, aliases: Iterable[str] = ()) -> None:
        """Add a registry entry (later entries lose ties to earlier ones)."""
        rank = self.ranks.setdefault(source_id, len(self.ranks))
        if kind is not None or source_id not in self.kinds:
            self.kinds[source_id] = kind
        for candidate in (name, *aliases):
            normalized = normalize_source_name(candidate) if candidate else ""
            if normalized and normalized not in self.exact:
                self.exact[normalized] = source_id
                self.order[normalized] = rank
                self.longest_words = max(self.longest_words, normalized.count(" ") + 1)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str, str, str | None]]) -> SourceIndex:
        """Rows of (source id, name, kind, alias or None), in registry order."""
        index = cls()
        for source_id, name, kind, alias in rows:
            index.add(source_id, name, kind=kind, aliases=[alias] if alias else [])
        return index

    def match(self, name: str | None) -> Hashable | None:
        wanted = normalize_source_name(name) if name else ""
        if not wanted:
            return None
        if wanted in self.exact:
            return self.exact[wanted]
        words = wanted.split(" ")
        best: tuple[int, int] | None = None  # (-length, registry rank)
        best_id = None
        for size in range(min(len(words), self.longest_words), 0, -1):
            for first in range(len(words) - size + 1):
                phrase = " ".join(words[first : first + size])
                if phrase in self.exact:
                    key = (-len(phrase), self.order[phrase])
                    if best is None or key < best:
                        best, best_id = key, self.exact[phrase]
        return best_id


def load_source_index() -> SourceIndex:
    """The whole registry (names and aliases) in one query."""
    from annotate.models import Source

    rows = Source.objects.order_by("pk", "aliases__pk").values_list("pk", "name", "kind", "aliases__name")
    return SourceIndex.from_rows(rows)


def match_source(name: str, registry: Iterable[tuple[Hashable, str, list[str]]]) -> Hashable | None:
    """The id of the registry entry (id, name, aliases) that a found source name refers to.

    Case, punctuation and a leading "the" are ignored. An exact match of the name or an alias wins;
    otherwise the longest registry name or alias contained in the found name as whole words (first
    entry on ties). None when nothing matches. For many names, build one SourceIndex instead.
    """
    index = SourceIndex()
    for entry_id, entry_name, aliases in registry:
        index.add(entry_id, entry_name, aliases=aliases)
    return index.match(name)
