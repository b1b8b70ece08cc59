"""Writes conformance/onnx-ops.json: every ai.onnx operator and the opsets (1-25) that changed it.

Read from ONNX's docs/Changelog.md (github.com/onnx/onnx, Apache-2.0), whose default-domain
section has one heading per operator version ("Op-N"). Run:
    /usr/bin/python3 scripts/extract-onnx-ops.py path/to/onnx/docs/Changelog.md
Deprecated operators (ONNX marks them in the version that removed them) are listed with the
opset that deprecated them. OPS.md is generated from this file and the importer's table.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../conformance/onnx-ops.json")
MAX_OPSET = 25

text = open(sys.argv[1], encoding="utf-8").read()
default = text.split("# ai.onnx (default)", 1)[1]
default = re.split(r"\n# ai\.onnx\.", default, maxsplit=1)[0]
versions = {}
deprecated = {}
for match in re.finditer(r'^### <a name="([A-Za-z0-9]+)-(\d+)"></a>\*\*[^*]+\*\*([^\n]*)', default, re.M):
    op, version, heading = match.group(1), int(match.group(2)), match.group(3)
    if version > MAX_OPSET:
        continue
    if "(deprecated)" in heading:
        deprecated[op] = version
    versions.setdefault(op, []).append(version)
ops = {op: {"versions": sorted(set(v)), **({"deprecated": deprecated[op]} if op in deprecated else {})} for op, v in sorted(versions.items())}
with open(OUT, "w", encoding="utf-8") as f:
    json.dump({"source": "onnx/onnx docs/Changelog.md, ai.onnx (default) domain", "maxOpset": MAX_OPSET, "ops": ops}, f, indent=1)
    f.write("\n")
print(len(ops), "operators")
