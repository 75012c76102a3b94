"""Phase 2, processing: the page following one batch, a row per file, the progress strip."""
