"""A real browser on another origin uses the API as the original web front end did.

Debian's Chromium (installed by bootstrap.sh), driven by Playwright for Python,
opens a page served from a second loopback origin (listed in the CORS setting)
that uploads two photos with ``fetch``, follows the stream with ``EventSource``,
lists the files and renders ``<a download>`` links; the test clicks one and
loads the saved file with trimesh. Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from browserkit import CHROMIUM, CHROMIUM_ARGS, require_browser, require_playwright, static_site

from .api_helpers import photo_bytes
from .serve_process import serve

KEY = "browser-key-Vb7nQ2sLx"
TIMEOUT_MS = 90_000

PAGE = """<!doctype html>
<meta charset="utf-8"><title>A client of the original backend</title>
<pre id="log"></pre><div id="links"></div>
<script>
const API = __API__, KEY = __KEY__;
window.outcome = {events: []};
async function run() {
  const form = new FormData();
  for (const name of ["chair.png", "lamp.jpg"]) {
    form.append("files", await (await fetch(name)).blob(), name);
  }
  const up = await fetch(API + "/api/v1/upload/", {
    method: "POST", headers: {Authorization: "Bearer " + KEY}, body: form});
  if (!up.ok) throw new Error("upload answered " + up.status + ": " + await up.text());
  const {task_id, job_id} = await up.json();
  await new Promise((resolve, reject) => {
    const stream = new EventSource(API + "/api/v1/status/tasks/" + task_id + "/stream");
    for (const name of ["task_progress", "file_update"]) {
      stream.addEventListener(name, () => window.outcome.events.push(name));
    }
    stream.addEventListener("task_completed", (event) => {
      window.outcome.events.push("task_completed");
      window.outcome.completed = JSON.parse(event.data);
      stream.close();
      resolve();
    });
    stream.addEventListener("task_failed", (event) => {
      stream.close();
      reject(new Error("task_failed: " + event.data));
    });
    stream.onerror = () => {
      if (stream.readyState === EventSource.CLOSED) reject(new Error("the stream was refused"));
    };
  });
  const listed = await fetch(API + "/api/v1/download/" + job_id + "/all",
                             {headers: {Authorization: "Bearer " + KEY}});
  const listing = await listed.json();
  window.outcome.listing = listing;
  listing.download_urls.forEach((url, i) => {
    const link = document.createElement("a");
    link.href = url;
    link.download = listing.files[i].filename;
    link.id = "download-" + i;
    link.textContent = "Download " + listing.files[i].filename;
    document.getElementById("links").append(link);
  });
  return "ready";
}
run().then((state) => { window.outcome.state = state; },
           (error) => { window.outcome.state = "error: " + error.message; });
</script>
"""


@pytest.fixture
def page_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static site on its own loopback port: another origin than the API's."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "chair.png").write_bytes(photo_bytes("PNG", 96))
    (site / "lamp.jpg").write_bytes(photo_bytes("JPEG", 96, (40, 90, 200)))
    with static_site(site) as origin:
        yield origin, site


def test_browser_on_another_origin_downloads_a_model(
    page_origin: tuple[str, Path], tmp_path: Path
) -> None:
    require_browser()
    require_playwright()
    import trimesh
    from playwright.sync_api import sync_playwright

    origin, site = page_origin
    settings = {"api": {"cors_origins": [origin]}}
    with serve(tmp_path / "library", KEY, settings) as served:
        page_html = PAGE.replace("__API__", json.dumps(served.url))
        (site / "index.html").write_text(page_html.replace("__KEY__", json.dumps(KEY)))
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"),  # a fresh user data dir
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                accept_downloads=True,
            )
            try:
                page = context.new_page()
                page.goto(f"{origin}/index.html")
                page.wait_for_function("window.outcome.state !== undefined", timeout=TIMEOUT_MS)
                outcome = page.evaluate("window.outcome")
                assert outcome["state"] == "ready", outcome["state"]
                assert "file_update" in outcome["events"] and "task_completed" in outcome["events"]
                assert outcome["completed"]["summary"]["successful_files"] == 2
                assert outcome["listing"]["total_files"] == 2
                with page.expect_download(timeout=TIMEOUT_MS) as info:
                    page.click("#download-0")  # a plain link: no header, no key
                download = info.value
                assert download.failure() is None
                assert download.suggested_filename == "chair.glb"
                saved = tmp_path / "clicked.glb"
                download.save_as(saved)
            finally:
                context.close()
    assert saved.read_bytes()[:4] == b"glTF"
    scene = trimesh.load(saved, force="scene")
    assert scene.geometry and sum(len(g.faces) for g in scene.geometry.values()) > 100
