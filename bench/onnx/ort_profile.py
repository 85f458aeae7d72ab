"""(Not named profile.py: that would shadow the standard library module torch imports.)
ONNX Runtime's per-op profile of an exported scorer (CPU provider, as bench/onnx/score.mjs runs it):

    node bench/onnx/score.mjs --rounds 1 --no-pytorch --native --save /tmp/scorer.onnx
    .venv/bin/python bench/onnx/ort_profile.py /tmp/scorer.onnx [--threads 2] [--batch 256] [--runs 4]

Prints the throughput (under the profiler) and each node's kernel time in ms per run, largest first.
The same file runs at the same speed here as in onnxruntime-node, so this tells graph costs from
binding costs. The profile's JSON goes to a temporary folder."""
import argparse
import collections
import json
import os
import tempfile
import time

import numpy as np
import onnxruntime as ort

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=256)
p.add_argument("--runs", type=int, default=4)
p.add_argument("--top", type=int, default=40)
a = p.parse_args()
so = ort.SessionOptions()
so.intra_op_num_threads = a.threads
so.enable_profiling = True
so.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort_profile")
s = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
shape = [a.batch if not isinstance(d, int) else d for d in s.get_inputs()[0].shape]
x = np.random.default_rng(0).uniform(0, 255, shape).astype(np.float32)
s.run(None, {s.get_inputs()[0].name: x})
t0 = time.perf_counter()
for _ in range(a.runs):
    s.run(None, {s.get_inputs()[0].name: x})
print(f"{a.batch * a.runs / (time.perf_counter() - t0):.0f} img/s under the profiler, load {os.getloadavg()[0]:.2f}")
events = json.load(open(s.end_profiling()))
per_op = collections.defaultdict(float)
for e in events:
    if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
        per_op[(e["args"]["op_name"], e["name"][: -len("_kernel_time")])] += e["dur"]
total = sum(per_op.values())
for (op, name), us in sorted(per_op.items(), key=lambda kv: -kv[1])[: a.top]:
    print(f"{us / (a.runs + 1) / 1000:8.2f} ms {100 * us / total:5.1f}%  {op:14s} {name}")
print(f"total {total / (a.runs + 1) / 1000:.1f} ms per run of {a.batch}")
