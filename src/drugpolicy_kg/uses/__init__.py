"""Stage 5: uses of the graph: mandate tracing, networks and their views."""
