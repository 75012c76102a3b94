"""The desktop window: Qt widgets on a qasync loop, with one embedded 3D preview."""
