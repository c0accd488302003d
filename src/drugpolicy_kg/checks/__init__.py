"""Stage 3: checks: SHACL shapes (pySHACL or compiled to SPARQL), violation queries, quotes against sources."""
