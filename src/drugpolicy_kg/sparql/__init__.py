"""Stage 4: SPARQL: query files, the local engine, result formats, remote endpoints, the local server."""
