"""The job engine: jobs, states, events, the worker pool and the store.

Nothing here imports Qt or a web framework; the GUI and the HTTP server are two
equal front ends of this package (a test proves the rule).
"""
