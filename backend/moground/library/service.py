"""Searching for a server: the indexes it was started with, opened once, and takes
that a request sends inline (the actions of an open .blend), encoded per request.

A worker builds one :class:`LibrarySearch` at start-up, so a missing index or one
built with other encoder weights stops the server before it serves anything.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from ..encoders.base import MotionTextEncoder
from ..wire.errors import BadRequest, UnknownIndex
from ..grounding.fused import FusedConfig
from ..wire.limits import check_motion_budget
from .build import inline_index
from .search import Searcher, SearchOptions
from .take import Take
from .store import LibraryIndex


class LibrarySearch:
    def __init__(self, encoder: MotionTextEncoder, indexes: Mapping[str, str] | None = None,
                 fused: FusedConfig | None = None) -> None:
        self.encoder = encoder
        self.fused = fused  # the decoder settings for these weights (grounding.settings); defaults if None
        self.searchers: dict[str, Searcher] = {
            name: Searcher(LibraryIndex.open(path), encoder, fused) for name, path in (indexes or {}).items()
        }

    def search(self, query: str, options: Mapping[str, Any] | None = None, *, index: str | None = None,
               takes: list[Take] | None = None) -> dict[str, Any]:
        """Hits for ``query`` in the index named ``index`` or in ``takes``: the reply
        fields of a ``search`` request (``hits``, ``searched``, ``timings_ms``)."""
        from ..wire.options import search_options

        opts = SearchOptions(**search_options(options))
        t0 = time.perf_counter()
        if index is not None:
            searcher = self.searchers.get(index)
            if searcher is None:
                raise UnknownIndex(f"no index named {index!r} here; this server searches "
                                   f"{', '.join(sorted(self.searchers)) or 'no indexes'}")
        elif takes:
            total = sum(t.clip.num_frames for t in takes)
            seconds = sum(t.clip.num_frames / t.clip.fps for t in takes)
            check_motion_budget(total, total / seconds, model_fps=self.encoder.fps)
            searcher = Searcher(inline_index(self.encoder, takes), self.encoder, self.fused)
        else:
            raise BadRequest("a search needs an index name or takes to search")
        t1 = time.perf_counter()
        hits = searcher.search(query, opts)
        t2 = time.perf_counter()
        idx = searcher.index
        return {
            "index": index,
            "hits": [h.to_json() for h in hits],
            "searched": {"takes": len(idx.takes), "hours": round(idx.hours(), 4)},
            "timings_ms": {"encode": round((t1 - t0) * 1000, 3), "search": round((t2 - t1) * 1000, 3)},
        }
