"""Phase 1, upload: the page, drop zone, photo tray, parameters, model picker, views."""
