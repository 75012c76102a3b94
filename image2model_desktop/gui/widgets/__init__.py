"""Small widgets and helpers shared by the pages: the in-place notice, file dialogs, the keymap."""
