"""Stage 5: uses of the graph: mandate tracing, networks and their views."""

# The network views, in the order a site lists them (here, not in networks.py, so the CLI's parser needs no import).
VIEW_NAMES = ("affiliations", "collaboration", "resolutions", "co-mandated", "sdgs", "mandates", "full")
