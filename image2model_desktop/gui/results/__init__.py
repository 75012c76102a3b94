"""Phase 3, results: the page, the grid of models, saving and export, turntables and sheets."""
