"""Finding opportunities: `engine.search(session, query.SearchQuery(...))` and its parts.

interpret (sentences → filters), plan (query → what to run), filters (SQL), retrieval (candidates),
fulltext (words through the engine's full-text index), words (typos and where words are said),
ranking and reasons (order and why), explain (why nothing matched), index (derived data),
stats (directory counts). Its relevance on judged queries is measured by benchmarks.evaluation.
"""
