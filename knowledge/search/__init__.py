"""Finding opportunities: `engine.search(session, query.SearchQuery(...))` and its parts.

interpret (sentences → filters), plan (query → what to run), filters (SQL), retrieval (candidates),
ranking and reasons (order and why), explain (why nothing matched), index (derived data),
evaluation (nDCG on judged queries), stats (directory counts).
"""
