"""Small widgets and helpers shared by several pages: the in-place notice, file dialogs."""
