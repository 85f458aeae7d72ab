"""Checks exported GANomaly scorers with the ONNX reference tools: onnx.checker (full check, with
shape inference) and ONNX Runtime's scores. Called by export.test.ts with a folder of cases:
<case>.onnx, <case>.f32 (float32 NHWC pixels 0..255) and cases.json; prints one JSON line."""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

folder = Path(sys.argv[1])
cases = json.loads((folder / "cases.json").read_text())
out = {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "cases": {}}
for name, c in cases.items():
    model = onnx.load(str(folder / f"{name}.onnx"))
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    x = np.fromfile(folder / f"{name}.f32", dtype=np.float32).reshape(c["shape"])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(folder / f"{name}.onnx"), opts, providers=["CPUExecutionProvider"])
    res = sess.run(None, {sess.get_inputs()[0].name: x})
    named = {o.name: r for o, r in zip(sess.get_outputs(), res)}
    out["cases"][name] = {
        "opset": model.opset_import[0].version,
        "metadata": json.loads(meta["ganomaly"]),
        "outputs": {k: v.astype(np.float64).ravel().tolist() for k, v in named.items() if k in ("score", "normalized_score", "is_anomaly")},
    }
print(json.dumps(out))
