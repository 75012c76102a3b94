"""Ready to print: check a model at a print size, fix what stops it printing, colour it.

One module per idea, each Qt-free and loading its heavy libraries lazily:

* ``profiles``  printers, materials, build volumes: what "printable" is measured against
* ``model``     the model in print coordinates (millimetres, Z up, on the bed), welded
* ``topology``  watertight, holes, non-manifold edges, shells, inverted normals
* ``thickness`` wall thickness per face by ray casting (Embree through embreex)
* ``overhang``  per-face overhang angle and the share of area needing support
* ``report``    findings as sentences, a verdict, and the maps the 3D preview colours
* ``check``     runs all of the above on a file, in stages a process pool can carry
* ``repair``    close holes and make one watertight shell, keeping the texture
* ``hollow``    hollow with a wall and drain holes (manifold3d)
* ``orient``    the rotation that needs the least support
* ``colour3mf`` the texture quantised to a few colours, written as a 3MF slicers paint from
* ``slicers``   find an installed slicer and the command that opens a file in it
"""
