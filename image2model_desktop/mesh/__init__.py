"""Load, inspect, convert, decimate, export and render 3D models.

Every module here imports trimesh and fast_simplification inside its functions,
so importing this package stays cheap for the GUI's first paint. Rendering is
plain numpy (``raster``), with no display or OpenGL.
"""
