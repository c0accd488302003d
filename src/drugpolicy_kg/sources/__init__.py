"""Stage 1: sources and ingestion: read a UN document, find candidate facts with their quotes, review them."""
