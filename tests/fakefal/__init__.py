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
* Endpoints (`models.ENDPOINTS`): Tripo v2.5 image and multiview, Tripo H3.1
  image and multiview, Tripo P1, Hunyuan3D v3, TRELLIS.2, Rodin Gen-2.5, each
  with its own input rules (422 `detail` items as pydantic words them) and
  output shape (`model_mesh` / `model_glb`, `rendered_image` / `thumbnail` /
  none, each `{url, content_type, file_name, file_size}`): a real textured GLB
  and a WebP. An endpoint it does not know answers 404. `submits()` records the
  endpoint, the field that carried the photo and every view URL.
* Issue 22 (shapes from fal-js libs/client/src/types/endpoints.ts @381105e1, see
  `models.FakeEndpoint`): Hunyuan3D v3's `model_urls` carry `fbx`, `obj`, `usdz`
  beside `glb`; Rodin's `model_mesh` comes in `geometry_file_format`; Tripo's
  `quad: true` answers an FBX `model_mesh`; the version endpoints
  `fal-ai/meshy/v5/remesh`, `fal-ai/hunyuan-3d/v3.1/smart-topology`,
  `fal-ai/meshy/v5/retexture` and `fal-ai/trellis-2/retexture` validate their
  inputs and answer a remeshed sphere or a retextured cube with their extra files.
* Status stream: `GET …/requests/<id>/status/stream[?logs=1]` answers
  `text/event-stream` (chunked): `data: <the /status JSON>` whenever it changes,
  a `: keep-alive` comment after `keepalive_seconds` of quiet, closed after
  COMPLETED. Per input (`Scenario.stream`, or markers `streamrefused`,
  `stream405`, `streamdrops`) or fake-wide (`FakeFal.status_stream`) it can be
  refused with 404/405 or cut after its first event. `status_streams()` and
  `status_poll_count()` / `status_stream_count()` count both ways per request.
* Errors as `fal_client.client._raise_for_status` reads them: `detail` (a string,
  or for 422 a list of `{loc, msg, type, ...}`), `error_type` in the body and in
  `X-Fal-Error-Type`. Cancel: 202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED,
  404 NOT_FOUND (`{"status": ...}` bodies). Unknown or expired request → 404.
* Downloads: Content-Length, Range (206/416), HEAD, optional throttling, and
  scripted failures (500, connection dropped mid-body, short body, a stall).
* Faults beyond FAL's own answers: an upload that fails on both routes, a
  submit answered 503, a status connection reset, an upload held back (to kill
  a client mid-upload); `started()` shows replies still being sent.

* Money (issue 20): a submit taken and then cut before its answer (scenario
  `submit_answer_cut`, marker `submitcut`); each submit's headers
  (`SubmitRecord.headers`, `disables_fallbacks`: FAL's `x-fal-disable-fallbacks`,
  docs.fal.ai/model-apis/model-endpoints/reliability); the lifecycle each upload
  asked for (`upload_lifecycles()`, fal-client 1.0.3's `X-Fal-Object-Lifecycle`
  JSON, docs.fal.ai/documentation/model-apis/media-expiration); the platform
  API's pricing, billing events and account billing in FAL's published shapes
  (`set_price`, `billing_events()`, `billing_access`, `billing_lag_seconds`,
  `balance_usd`; see `protocol`).

Not reproduced: run()/stream()/realtime/websockets, webhooks,
the backup domains (falrun.com), ingress (nginx) 502–504 pages, per-account
concurrency limits (queue positions are scripted, not caused by other requests),
priorities and X-Fal-Request-Timeout (accepted, ignored), object expiry (the
lifecycle is recorded, files never expire), ACLs, CDN token expiry, model
fallbacks (the header is recorded; the fake never reroutes). Exact message texts of 401/429,
the `error`/`error_type` of a cancelled request (`client_cancelled`) and the
400 for fetching a cancelled request's result, the 404 text for an unknown
endpoint, the stream's keep-alive comment text and its 404/405 refusals are
plausible guesses, not captured from the real service: code should branch on
status and error_type. Whether FAL's stream events repeat the cumulative logs
(as here, like /status) or send only new lines is unconfirmed (fal-js
accumulates them): de-duplicate log lines rather than rely on either.
"""

from .models import ENDPOINTS
from .scenarios import MARKERS, SCENARIO_KINDS, STREAM_MARKERS, Scenario, ScenarioKind, StreamMode
from .server import DEFAULT_KEY, MODEL_ENDPOINTS, TRIPO_ENDPOINT, FakeFal
from .state import (
    BillingEvent,
    CancelRecord,
    LoggedRequest,
    StartedReply,
    StatusPoll,
    StreamConnection,
    SubmitRecord,
)

__all__ = [
    "DEFAULT_KEY",
    "ENDPOINTS",
    "MARKERS",
    "MODEL_ENDPOINTS",
    "SCENARIO_KINDS",
    "STREAM_MARKERS",
    "TRIPO_ENDPOINT",
    "BillingEvent",
    "CancelRecord",
    "FakeFal",
    "LoggedRequest",
    "Scenario",
    "ScenarioKind",
    "StartedReply",
    "StatusPoll",
    "StreamConnection",
    "StreamMode",
    "SubmitRecord",
]
