"""A loopback HTTPS fake of FAL.AI for tests: the real, unmodified fal-client 1.0.3 talks to it.

Reproduced (as fal-client 1.0.3 exercises them):
* Auth: `Authorization: Key <key>` on queue and REST calls; an unknown or missing
  key answers 401 `{"detail": ...}` everywhere, including the CDN-token endpoint.
* Upload: `POST /storage/auth/token?storage_type=fal-cdn-v3` → `{token, token_type,
  base_url, expires_at}`, then `POST /files/upload` with `Bearer <token>`,
  `Content-Type` and `X-Fal-File-Name` → `{access_url}`; the > 100 MB multipart
  flow (create / PUT parts answering ETag / complete); the "fal" fallback
  repository (`/storage/upload/initiate?storage_type=gcs` + PUT). Access URLs are
  served back by the fake.
* Queue: submit → `{status: IN_QUEUE, request_id, response_url, status_url,
  cancel_url, logs: null, metrics: {}, queue_position}`; status → 202 IN_QUEUE
  (queue_position counting down) / 202 IN_PROGRESS / 200 COMPLETED, with `logs`
  (`[{message, level, source, timestamp}]`, cumulative, "Progress: NN%") only when
  `logs=true|1`, else `logs: null`; COMPLETED carries `metrics.inference_time` and,
  for failed requests, `error`/`error_type`. status/result/cancel URLs use only
  owner/alias ("tripo3d/tripo"), as FAL's do. Every request-scoped answer has
  `x-fal-request-id`, so fal-client treats 5xx as FAL's (no ingress retry).
* Result: Tripo v2.5 output `{task_id, model_mesh, rendered_image}`, each
  `{url, content_type, file_name, file_size}`; a real textured GLB and a WebP.
* Errors as `fal_client.client._raise_for_status` reads them: `detail` (a string,
  or for 422 a list of `{loc, msg, type, ...}`), `error_type` in the body and in
  `X-Fal-Error-Type`. Cancel: 202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED,
  404 NOT_FOUND (`{"status": ...}` bodies). Unknown or expired request → 404.
* Downloads: Content-Length, Range (206/416), HEAD, optional throttling, and
  scripted failures (500, connection dropped mid-body, short body, a stall).
* Faults beyond FAL's own answers: an upload that fails on both routes, a
  submit answered 503, a status connection reset, an upload held back (to kill
  a client mid-upload); `started()` shows replies still being sent.

Not reproduced: run()/stream()/realtime/websockets, webhooks, `/status/stream`,
the backup domains (falrun.com), ingress (nginx) 502–504 pages, per-account
concurrency limits (queue positions are scripted, not caused by other requests),
priorities and X-Fal-Request-Timeout (accepted, ignored), object lifecycle/ACL
headers (accepted, ignored), CDN token expiry. Exact message texts of 401/429,
the `error`/`error_type` of a cancelled request (`client_cancelled`) and the
400 for fetching a cancelled request's result are plausible guesses, not
captured from the real service: code should branch on status and error_type.
"""

from .scenarios import MARKERS, SCENARIO_KINDS, Scenario, ScenarioKind
from .server import DEFAULT_KEY, TRIPO_ENDPOINT, FakeFal
from .state import CancelRecord, LoggedRequest, StartedReply, StatusPoll, SubmitRecord

__all__ = [
    "DEFAULT_KEY",
    "MARKERS",
    "SCENARIO_KINDS",
    "TRIPO_ENDPOINT",
    "CancelRecord",
    "FakeFal",
    "LoggedRequest",
    "Scenario",
    "ScenarioKind",
    "StartedReply",
    "StatusPoll",
    "SubmitRecord",
]
