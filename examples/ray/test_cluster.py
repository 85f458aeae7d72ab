"""The Ray example on a local cluster (127.0.0.1): the folder pipeline and the MNIST pipeline of
score.py with several workers, checked against the same stages run in one process. Prints one
JSON line; the cluster is shut down even when a check fails.

    python examples/ray/test_cluster.py MODEL.onnx FOLDER MNIST_DIR [--workers 2] [--limit 64]
"""
import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import score as example  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("folder")
    ap.add_argument("mnist")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()

    example.loopback_only()
    import ray

    model_bytes = Path(args.model).read_bytes()
    info = example.model_info(model_bytes)
    files = example.folder_files(args.folder)
    folder_rows = [{"path": f, "bytes": Path(f).read_bytes()} for f in files]
    mnist_rows = example.mnist_rows(example.read_mnist_test(args.mnist)[: args.limit])
    local = {"folder": example.score_local(folder_rows, model_bytes, info, args.batch_size), "mnist": example.score_local(mnist_rows, model_bytes, info, args.batch_size)}

    report = {"ray": ray.__version__, "workers": args.workers, "runs": {}}
    t_init = time.perf_counter()
    # The driver, one decode task at a time and the scoring actors: workers + 1 CPUs, loopback only.
    example.init_ray(None, args.workers + 1)
    report["startup_seconds"] = time.perf_counter() - t_init
    report["nodes"] = [n["NodeManagerAddress"] for n in ray.nodes()]
    try:
        # The folder (read by Ray from the files) and the MNIST digits (from memory) in one job.
        folder_ds = ray.data.read_binary_files(files, include_paths=True, override_num_blocks=4 * args.workers)
        mnist_ds = ray.data.from_items(mnist_rows, override_num_blocks=4 * args.workers)
        t0 = time.perf_counter()
        all_rows = example.score_dataset(folder_ds.union(mnist_ds), model_bytes, info, args.workers, args.batch_size).take_all()
        report["seconds"] = time.perf_counter() - t0
        report["images_per_second"] = len(all_rows) / report["seconds"]
        for name in ("folder", "mnist"):
            rows = [r for r in all_rows if (str(r["path"]) in local["folder"]) == (name == "folder")]
            counts = Counter(str(r["path"]) for r in rows)
            per_worker = defaultdict(lambda: {"images": 0, "seconds": 0.0})
            worst = 0.0
            mismatched = []
            errors = {}
            for r in rows:
                p = str(r["path"])
                ref = local[name][p]
                w = per_worker[int(r["worker"])]
                w["images"] += 1
                w["seconds"] += float(r["seconds"])
                if r["error"]:
                    errors[os.path.basename(p)] = r["error"]
                    if not ref["error"]:
                        mismatched.append(p)
                    continue
                d = abs(float(r["score"]) - ref["score"]) / max(abs(ref["score"]), 1e-30)
                worst = max(worst, d)
            report["runs"][name] = {
                "rows": len(rows),
                "expected": len(local[name]),
                "duplicates": [p for p, c in counts.items() if c != 1],
                "missing": sorted(set(local[name]) - set(counts)),
                "worst_relative_vs_single_process": worst,
                "mismatched_errors": mismatched,
                "errors": errors,
                "per_worker": {str(k): {**v, "images_per_second": v["images"] / v["seconds"] if v["seconds"] else None} for k, v in per_worker.items()},
                "scores": {os.path.basename(str(r["path"])): float(r["score"]) for r in rows if not r["error"]} if name == "folder" else None,
            }
    finally:
        ray.shutdown()
    report["shutdown"] = not ray.is_initialized()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
