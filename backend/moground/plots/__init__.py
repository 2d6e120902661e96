"""Pictures of what MoGround did: timelines of one run, benchmark summaries.

Drawing needs matplotlib (a dependency, Agg backend, no display); the per-frame
signals (:mod:`moground.grounding.trace`) need only numpy and torch. Nothing here is
imported by a normal grounding request.
"""
