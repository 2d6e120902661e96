"""A searchable library of mocap takes: index per-frame features once, find moments by text.

``build`` discovers takes and encodes them (incrementally, by file content hash),
``store`` is the on-disk index (a manifest and memory-mapped arrays), ``search`` ranks
moments for a text query coarse-to-fine, ``merge`` joins indexes built as shards.
"""
