"""Stage 1: sources and ingestion: read a UN document, find candidate facts with their quotes, review them."""

# The kinds of candidate fact ingest finds and review decides on (here, so the command line can name them
# without importing the ingestion code).
KINDS = ("legislative-mandate", "subprogramme", "objective", "sdg", "reference", "organization",
         "activity", "expected-result", "planned-result", "performance-measure", "deliverable", "resource", "mandate-cost",
         "implementer", "operative-paragraph")
