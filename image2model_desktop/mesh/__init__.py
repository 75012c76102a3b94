"""Load, inspect, convert, decimate, export and render 3D models.

Every module here imports trimesh, fast_simplification and pyvista inside its
functions, so importing this package stays cheap for the GUI's first paint.
"""
