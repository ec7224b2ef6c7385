#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs from a legacy home of 2.4.0 (the
fixtures, ../shared/fixtures/legacy-home-small): each input is the selector
byte of its target (see the target's .cpp) followed by a file of that home,
or a record taken out of one. Usage: seeds.py LEGACY_HOME OUT_DIR; writes
OUT_DIR/<target>/<n>."""
import json
import pathlib
import sys

home = pathlib.Path(sys.argv[1])
out = pathlib.Path(sys.argv[2])


def write(target, selector, text):
    directory = out / target
    directory.mkdir(parents=True, exist_ok=True)
    n = len(list(directory.iterdir()))
    (directory / str(n)).write_bytes(bytes([selector]) + text.encode())


def load(path):
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


networks = (load(home / "networks.json") or {}).get("networks", {})
volumes = (load(home / "volumes.json") or {}).get("volumes", {})
images = (load(home / "images" / "index.json") or {}).get("images", [])
snapshots = [load(p) for p in sorted(home.glob("snapshots/*/metadata.json"))]

# legacy_fuzz: 0 networks.json, 1 volumes.json, 2 images/index.json,
# 3 snapshots/snap-001/metadata.json.
for selector, path in enumerate(["networks.json", "volumes.json", "images/index.json"]):
    if (home / path).is_file():
        write("legacy", selector, (home / path).read_text(encoding="utf-8"))
for snapshot in snapshots:
    write("legacy", 3, json.dumps(dict(snapshot, id="snap-001")))

# records_fuzz: 0 endpoint, 1 network, 2 volume, 3 snapshot, 4 image.
# c_api_fuzz: 0 network, 1 aliases, 2 volume, 3 volume (get_or_create),
# 4 snapshot, 5 a3s_open options.
for network in networks.values():
    write("records", 1, json.dumps(network))
    write("c_api", 0, json.dumps(network))
    for endpoint in network.get("endpoints", {}).values():
        write("records", 0, json.dumps(endpoint))
        write("c_api", 1, json.dumps(endpoint.get("aliases", [])))
for volume in volumes.values():
    write("records", 2, json.dumps(volume))
    write("c_api", 2, json.dumps(volume))
    write("c_api", 3, json.dumps(volume))
for snapshot in snapshots:
    write("records", 3, json.dumps(snapshot))
    write("c_api", 4, json.dumps(snapshot))
for image in images:
    write("records", 4, json.dumps(image))
write("c_api", 5, json.dumps({"synchronous": "normal", "busy_timeout_ms": 100,
                              "auto_migrate": True, "image_cache_bytes": 1 << 20}))
