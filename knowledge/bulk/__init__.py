"""Writing many records at once: rows past Core's per-row machinery (rows), new listings in
batches on a second thread (opportunities)."""
