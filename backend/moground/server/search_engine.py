"""The engine a worker serves: grounding plus library search.

The grounding engine knows nothing of libraries (it must not import them: the library
builds on the engine's motion path); a served worker answers both kinds of request,
so the two meet here.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..engine import GroundingEngine
from ..library.service import LibrarySearch


class SearchingEngine(GroundingEngine):
    """A :class:`GroundingEngine` that also searches library indexes."""

    def __init__(self, *args: Any, indexes: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._library: LibrarySearch | None = None
        if indexes:  # opened (and checked against this encoder) now, not at the first search
            self._library = LibrarySearch(self.encoder, indexes, fused=self.fused)

    def search(self, query: str, options: Mapping[str, Any] | None = None, *, index: str | None = None,
               takes: list | None = None) -> dict[str, Any]:
        """Moments matching ``query`` in a library index this engine opened (by name) or
        in ``takes`` (``library.sources.Take``, e.g. sent with a request)."""
        if self._library is None:
            self._library = LibrarySearch(self.encoder, None, fused=self.fused)
        return self._library.search(query, options, index=index, takes=takes)
