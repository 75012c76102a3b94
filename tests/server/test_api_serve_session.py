"""A session against a real ``image2model serve``: curl-like calls, then the log file is read.

No API key, link signature or link secret may appear in ``logs/image2model.log`` (or
on the console) after upload, SSE with ``?api_key=``, listing, signed downloads,
a tampered link and the health probes.
"""

from __future__ import annotations

import base64
import json
import re
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import trimesh
from testkit import subprocess_env

from image2model_desktop.server.links import INVALID_MESSAGE, SECRET_FILE

from .api_helpers import WAIT, photo_bytes, upload_files
from .serve_process import serve

KEY = "session-key-Qm4x9TfL2w"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def sse_data(client: httpx.Client, url: str, params: dict[str, str]) -> list[dict]:
    """Read ``data:`` lines as a script for the original does, until the task's end."""
    seen = []
    with client.stream("GET", url, params=params, timeout=WAIT) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
                if seen[-1].get("status") in ("completed", "failed"):
                    break
    return seen


def test_no_key_or_signature_in_the_log_after_a_session(tmp_path: Path) -> None:
    signatures: set[str] = set()
    with (
        serve(tmp_path / "library", KEY) as served,
        httpx.Client(base_url=served.url, timeout=WAIT) as c,
    ):
        r = c.post(
            "/api/v1/upload/", files=upload_files(["chair.png", "lamp.jpg"]), headers=HEADERS
        )
        assert r.status_code == 200, r.text
        task_id, job_id = r.json()["task_id"], r.json()["job_id"]
        events = sse_data(c, f"/api/v1/status/tasks/{task_id}/stream", {"api_key": KEY})
        final = events[-1]
        assert final["status"] == "completed" and final["summary"]["successful_files"] == 2
        links = [entry["download_url"] for entry in final["result"]["results"]]
        status = c.get(f"/api/v1/status/tasks/{task_id.upper()}/status", params={"api_key": KEY})
        assert status.status_code == 200
        listing = c.get(f"/api/v1/download/{job_id}/all", headers=HEADERS).json()
        links += listing["download_urls"]
        links += [f["rendered_image"]["url"] for f in listing["files"] if f["rendered_image"]]
        for link in links:
            assert link.startswith(served.url)
            signatures.add(parse_qs(urlsplit(link).query)["sig"][0])
            with httpx.Client(timeout=WAIT) as plain:  # a fresh client: no header, no cookie
                got = plain.get(link)
            assert got.status_code == 200
        model = httpx.get(listing["download_urls"][0], timeout=WAIT)
        assert model.content[:4] == b"glTF"
        tampered = listing["download_urls"][0][:-1] + (
            "0" if listing["download_urls"][0][-1] != "0" else "1"
        )
        refused = httpx.get(tampered, timeout=WAIT)
        assert refused.status_code == 403 and refused.json()["message"] == INVALID_MESSAGE
        unsigned = urlsplit(listing["download_urls"][0]).path
        assert c.get(unsigned, params={"api_key": KEY}).status_code == 200
        assert c.get("/api/v1/download/test-job-id/all", headers=HEADERS).status_code == 404
        for probe in ("liveness", "readiness", "detailed"):
            assert c.get(f"/api/v1/health/{probe}").status_code == 200, probe
    secret_path = served.data_dir / SECRET_FILE
    assert stat.S_IMODE(secret_path.stat().st_mode) == 0o600
    secret = secret_path.read_bytes()
    log = served.log_file.read_text(encoding="utf-8")
    console = "".join(served.output)
    # The access log did record the calls, with the secrets masked.
    assert f"/api/v1/download/{job_id}/" in log and "sig=***" in log and "api_key=***" in log
    forms = {
        KEY,
        secret.hex(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode(),
        *signatures,
    }
    for text, where in ((log, "log file"), (console, "console")):
        leaked = [form for form in forms if form in text]
        assert not leaked, f"secrets in the {where}"
        assert not re.search(r"sig=(?!\*\*\*)", text), where
        assert not re.search(r"api_key=(?!\*\*\*)", text), where


def test_the_example_client_of_the_original_works_unchanged(tmp_path: Path) -> None:
    """examples/original_client.py: upload, SSE, listing, plain-GET downloads."""
    photos = [tmp_path / "chair.png", tmp_path / "lamp.jpg"]
    photos[0].write_bytes(photo_bytes("PNG", 96))
    photos[1].write_bytes(photo_bytes("JPEG", 96, (40, 90, 200)))
    example = Path(__file__).resolve().parents[2] / "examples" / "original_client.py"
    out = tmp_path / "downloads"
    with serve(tmp_path / "library", KEY) as served:
        options = ["--url", served.url, "--out", str(out)]
        result = subprocess.run(
            [sys.executable, str(example), *map(str, photos), *options],
            capture_output=True,
            text=True,
            timeout=WAIT * 4,
            env=subprocess_env(IMAGE2MODEL_API_KEY=KEY),
            stdin=subprocess.DEVNULL,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["chair.glb", "lamp.glb"]
    for model in out.iterdir():
        assert trimesh.load(model, force="scene").geometry
