"""A web-profile export loads in a real browser (three.js in Debian's Chromium) and validates.

The page imports three.js's ``GLTFLoader`` and ``DRACOLoader`` from the npm
package (installed at test time into a cache, ``browserkit.npm_package``; no
CDN), served from loopback with the exported files. It loads every level of
detail and draws each in its own quarter of one WebGL canvas (ANGLE on
SwiftShader: no GPU), lit by an ambient light alone so the lit colour is the
texture's. The test checks what three.js decoded (faces, texture) and the
pixels of a screenshot: both colours of the checker texture in each quarter.

Khronos's glTF validator (npm ``gltf-validator``, run with Node.js) checks the
files' structure; it says itself that it cannot look inside the Draco buffer.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from browserkit import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WEBGL_ARGS,
    npm_package,
    require_browser,
    require_node_tool,
    require_playwright,
    static_site,
)
from PIL import Image
from testkit import make_textured_sphere_glb

from image2model_desktop.mesh.web import WebProfile, export_web

#: three.js release the page is written for (GLTFLoader/DRACOLoader from its examples/jsm).
THREE_VERSION = "0.187.0"
VALIDATOR_VERSION = "2.0.0-dev.3.10"
TIMEOUT_MS = 90_000
QUARTER = 256

PAGE = """<!doctype html>
<meta charset="utf-8"><title>Web export in three.js</title>
<style>body { margin: 0; background: #000; }</style>
<script type="importmap">
{"imports": {"three": "./three/build/three.module.js", "three/addons/": "./three/examples/jsm/"}}
</script>
<script type="module">
import * as THREE from "three";
import {GLTFLoader} from "three/addons/loaders/GLTFLoader.js";
import {DRACOLoader} from "three/addons/loaders/DRACOLoader.js";

const FILES = __FILES__, SIDE = __SIDE__;
async function run() {
  const renderer = new THREE.WebGLRenderer({antialias: false, preserveDrawingBuffer: true});
  renderer.setPixelRatio(1);
  renderer.setSize(SIDE * FILES.length, SIDE);
  renderer.setScissorTest(true);
  document.body.append(renderer.domElement);
  const draco = new DRACOLoader().setDecoderPath("./three/examples/jsm/libs/draco/gltf/");
  const loader = new GLTFLoader().setDRACOLoader(draco);
  const levels = [];
  for (const [i, name] of FILES.entries()) {
    const gltf = await loader.loadAsync(name);
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x000000);
    scene.add(gltf.scene);
    // Lambert's 1/pi times an ambient light of pi: each pixel shows the texture's colour.
    scene.add(new THREE.AmbientLight(0xffffff, Math.PI));
    let triangles = 0, map = null;
    gltf.scene.traverse((object) => {
      if (!object.isMesh) return;
      triangles += object.geometry.index.count / 3;
      map = object.material.map;
    });
    const box = new THREE.Box3().setFromObject(gltf.scene);
    const centre = box.getCenter(new THREE.Vector3());
    const radius = box.getSize(new THREE.Vector3()).length() / 2;
    const camera = new THREE.PerspectiveCamera(30, 1, radius / 10, radius * 10);
    camera.position.copy(centre).add(new THREE.Vector3(0, 0, radius * 3));
    camera.lookAt(centre);
    renderer.setViewport(i * SIDE, 0, SIDE, SIDE);
    renderer.setScissor(i * SIDE, 0, SIDE, SIDE);
    renderer.render(scene, camera);
    levels.push({name, triangles, mapWidth: map ? map.image.width : 0});
  }
  const gl = renderer.getContext();
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return {levels, renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : "?"};
}
run().then((result) => { window.outcome = {state: "ready", ...result}; },
           (error) => { window.outcome = {state: "error: " + error.message}; });
</script>
"""


def test_three_js_renders_every_level_with_its_texture(tmp_path: Path) -> None:
    require_browser()
    require_playwright()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    three = npm_package("three", THREE_VERSION)
    site = tmp_path / "site"
    site.mkdir()
    (site / "three").symlink_to(three, target_is_directory=True)
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 8_000, texture_size=512)
    plan = export_web(src, site / "ball.glb", profile=WebProfile(lods=4))
    names = [file.path.name for file in plan.files]
    page_html = PAGE.replace("__FILES__", json.dumps(names)).replace("__SIDE__", str(QUARTER))
    (site / "index.html").write_text(page_html)

    with static_site(site) as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + WEBGL_ARGS, headless=True
        )
        try:
            page = browser.new_page()
            # A module that fails to load sets no outcome: its console error says why.
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{origin}/index.html")
            try:
                page.wait_for_function("window.outcome !== undefined", timeout=TIMEOUT_MS)
            except PlaywrightTimeout:
                pytest.fail(f"the page never finished: {errors or 'no console error'}")
            outcome = page.evaluate("window.outcome")
            shot = page.locator("canvas").screenshot(timeout=TIMEOUT_MS)
        finally:
            browser.close()
    (tmp_path / "three.png").write_bytes(shot)  # kept beside the test's files to look at
    assert outcome["state"] == "ready", outcome["state"]
    assert "SwiftShader" in outcome["renderer"] or "llvmpipe" in outcome["renderer"]
    for level, file in zip(outcome["levels"], plan.files, strict=True):
        assert level["triangles"] == file.faces, level
        assert level["mapWidth"] == file.texture_side, level

    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=np.int64)
    assert pixels.shape == (QUARTER, QUARTER * len(plan.files), 3)
    for number in range(len(plan.files)):
        quarter = pixels[:, number * QUARTER : (number + 1) * QUARTER].reshape(-1, 3)
        model = quarter[quarter.sum(axis=1) > 40]
        assert len(model) > 0.2 * len(quarter), f"LOD{number} covers too little of its view"
        # The checker's red is 50 or 240: both show, so the texture is there, not a flat colour.
        light, dark = (model[:, 0] >= 190).mean(), (model[:, 0] <= 100).mean()
        assert light > 0.15 and dark > 0.15, (number, light, dark)


VALIDATE = """
const validator = require(process.argv[1]);
const fs = require("fs");
(async () => {
  const reports = {};
  for (const file of process.argv.slice(2)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)));
    reports[file] = report.issues.messages.map((m) => `${m.severity} ${m.code} ${m.message}`);
    reports[file].unshift(report.issues.numErrors + report.issues.numWarnings);
  }
  console.log(JSON.stringify(reports));
})();
"""


def test_khronos_validator_finds_no_error_or_warning(tmp_path: Path) -> None:
    node = require_node_tool("node")
    validator = npm_package("gltf-validator", VALIDATOR_VERSION)
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 4_000, texture_size=256)
    plan = export_web(src, tmp_path / "web" / "ball.glb", profile=WebProfile(lods=3))
    files = [str(file.path) for file in plan.files]
    ran = subprocess.run(
        [node, "-e", VALIDATE, str(validator), *files],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    reports = json.loads(ran.stdout)
    for name in files:
        problems, *messages = reports[name]
        assert problems == 0, messages
        # Severity 2 is "information": the one it gives is that Draco is beyond it.
        assert "2 UNSUPPORTED_EXTENSION" in " ".join(messages)
