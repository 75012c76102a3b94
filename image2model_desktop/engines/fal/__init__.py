"""The FAL engine: FAL's hosted image-to-3D models through the official fal-client.

Layout, one concept per module:

* ``client``   — the typed adapter over fal-client (hosts injected once, no private attributes)
* ``errors``   — what FAL and the network answered, turned into typed errors
* ``retry``    — backoff and the "retry only what FAL surely did not take" rule
* ``download`` — streamed, checked downloads of results
* ``polling``  — the status-poll clock and log-line de-duplication
* ``paid``     — the money path of any FAL request: priced before, submitted once,
                 followed, fetched, what it cost read after (``PaidRequests``)
* ``platform`` — FAL's platform API: prices, billing events, account balance
* ``pricing``  — the price book: FAL's prices when known, else the table, with their source
* ``engine``   — one file's way: upload → submit → stream (or poll) → fetch → download
* ``registry`` — the generators as data: endpoints, dialects, outputs, prices
* ``policy``   — each generator's parameter policy, derived from the registry
* ``tripo``    — Tripo v2.5's request as sent before the registry (the tests' reference)

Nothing here imports fal-client at module level: it loads at the first upload.
"""
