"""A client written for the original Image2Model web backend, run against the desktop app.

    IMAGE2MODEL_API_KEY=... python examples/original_client.py photo1.jpg photo2.png \\
        [--url http://127.0.0.1:8000] [--face-limit 10000] [--out downloads]

It does what the original front end did: upload the batch with a Bearer key,
follow the task's Server-Sent Events until ``task_completed`` (or
``task_failed``), list the job's files and download each one from its link
with a plain GET, as the original's CDN links were fetched (the desktop app's
links are signed, so they need no key). Nothing in it is specific to the
desktop app. Needs only httpx.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx


def events(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """Yield (event name, data) from a text/event-stream response."""
    name, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def main() -> int:
    parser = argparse.ArgumentParser(description="Upload photos, follow progress, download models.")
    parser.add_argument("photos", nargs="+", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", default=os.environ.get("IMAGE2MODEL_API_KEY"))
    parser.add_argument("--face-limit", default="")
    parser.add_argument("--out", type=Path, default=Path("downloads"))
    args = parser.parse_args()
    if not args.key:
        parser.error("give the API key with --key or IMAGE2MODEL_API_KEY")
    headers = {"Authorization": f"Bearer {args.key}"}

    with httpx.Client(base_url=args.url, headers=headers, timeout=60) as client:
        # 1. Upload the batch: field "files" repeated, plus the face limit.
        files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in args.photos]
        response = client.post("/api/v1/upload/", files=files, data={"face_limit": args.face_limit})
        if response.status_code != 200:
            print(f"Upload refused ({response.status_code}): {response.json()['message']}")
            return 1
        batch = response.json()
        print(f"Uploaded {batch['total_files']} file(s): job {batch['job_id']}")

        # 2. Follow the task's event stream until the batch ends.
        stream_url = f"/api/v1/status/tasks/{batch['task_id']}/stream"
        final: dict = {}
        with client.stream("GET", stream_url, timeout=None) as stream:
            for name, data in events(stream):
                if name == "task_progress":
                    print(f"  {data['progress']:5.1f}%  {data['message']}")
                elif name == "file_update":
                    file = data["file"]  # nested: the only top-level status is the task's
                    print(f"  {file['filename']}: {file['status']} {file.get('error', '')}")
                elif name in ("task_completed", "task_failed"):
                    final = data
                    break
        print(f"{final.get('status')}: {final.get('message')}")
        if final.get("status") != "completed":
            return 1

        # 3. List the results and download each file: absolute links, no header needed.
        listing = client.get(f"/api/v1/download/{batch['job_id']}/all").json()
    args.out.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=60) as plain:
        for entry, url in zip(listing["files"], listing["download_urls"], strict=True):
            target = args.out / entry["filename"]
            with plain.stream("GET", url) as download, target.open("wb") as sink:
                download.raise_for_status()
                for chunk in download.iter_bytes():
                    sink.write(chunk)
            print(f"Saved {target} ({entry['size']:,} bytes, from {entry['source_filename']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
