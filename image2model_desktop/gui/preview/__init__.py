"""The 3D preview: the pane, its toolbar, the one PyVista view, its input, the OpenGL check."""
