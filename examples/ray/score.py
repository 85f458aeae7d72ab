"""Batch scoring with Ray Data and ONNX Runtime: a GANomaly scorer exported by this library
(`ganomaly export MODEL --out model.onnx`) scores an image folder or the MNIST test set on a Ray
cluster, each worker holding one ONNX Runtime session.

    python examples/ray/score.py model.onnx --folder images/ --out scores.csv
    python examples/ray/score.py model.onnx --mnist ../shared/data/mnist --out scores.csv
    python examples/ray/score.py model.onnx --folder s3://bucket/images --address ray://head:10001

Images are decoded and resized with Pillow (bilinear), which is what the library's image loader
does bit for bit, so the scores equal `ganomaly score`'s. A file that fails to decode gets a row
with its error and no score; the job goes on. Without --address a local Ray is started (loopback
only); with it, the same code runs on that cluster. See docs/onnx.md.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def model_info(model_bytes: bytes) -> dict:
    """The 'ganomaly' metadata of an exported scorer (size, channels, calibration, ...)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    if "ganomaly" not in meta:
        raise ValueError("not a GANomaly scorer exported by this library (no 'ganomaly' metadata)")
    return json.loads(meta["ganomaly"])


def decode(data: bytes, size: int, channels: int) -> np.ndarray:
    """Pillow decode + convert + bilinear resize: HWC float32 pixel values 0..255."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        if im.mode.startswith("I;16") or im.mode == "I":
            # 16-bit grey PNGs: the library scales them to 8 bits as round(v * 255 / 65535);
            # Pillow's convert("L") would clip instead (40000 -> 255).
            v = np.asarray(im).astype(np.float64)
            im = Image.fromarray(np.floor(np.clip(v, 0, 65535) * 255 / 65535 + 0.5).astype(np.uint8), mode="L")
        # RGBA drops alpha (as the library does); palette and other modes convert first.
        im = im.convert("L" if channels == 1 else "RGB")
        if im.size != (size, size):
            im = im.resize((size, size), Image.BILINEAR)
        a = np.asarray(im, dtype=np.float32)
    return a.reshape(size, size, channels)


def decode_batch(batch: Dict[str, np.ndarray], size: int, channels: int) -> Dict[str, np.ndarray]:
    """Ray Data stage: bytes -> pixels, one error message per file that fails (the others go on)."""
    n = len(batch["path"])
    pixels = np.zeros((n, size, size, channels), dtype=np.float32)
    errors: List[str] = []
    for i in range(n):
        try:
            pixels[i] = decode(batch["bytes"][i], size, channels)
            errors.append("")
        except Exception as e:  # noqa: BLE001 - any decoder failure is reported per file
            from PIL import UnidentifiedImageError

            why = "not a readable image (unknown format or corrupt header)" if isinstance(e, UnidentifiedImageError) else str(e)
            errors.append(f"{type(e).__name__}: {why}")
    return {"path": batch["path"], "pixels": pixels, "error": np.array(errors, dtype=object)}


class OnnxScorer:
    """Ray Data stage: one ONNX Runtime session per worker; scores the batches it is handed."""

    def __init__(self, model_bytes: bytes, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.outputs = [o.name for o in self.session.get_outputs() if o.name in ("score", "normalized_score", "is_anomaly")]
        self.pid = os.getpid()

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        ok = np.array([e == "" for e in batch["error"]], dtype=bool)
        n = len(ok)
        out = {k: np.full(n, np.nan, dtype=np.float32) for k in ("score", "normalized_score")}
        out["is_anomaly"] = np.full(n, -1, dtype=np.int16)
        t0 = time.perf_counter()
        if ok.any():
            res = dict(zip(self.outputs, self.session.run(self.outputs, {self.input: batch["pixels"][ok]})))
            for k, v in res.items():
                out[k][ok] = v
        return {
            "path": batch["path"],
            "error": batch["error"],
            **out,
            "worker": np.full(n, self.pid, dtype=np.int64),
            "seconds": np.full(n, (time.perf_counter() - t0) / max(n, 1), dtype=np.float64),
        }


def folder_files(folder: str) -> List[str]:
    root = Path(folder)
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def read_mnist_test(folder: str) -> np.ndarray:
    """The MNIST test images (IDX, gzip or not), uint8 [n, 28, 28]."""
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        p = Path(folder) / name
        if p.exists():
            raw = gzip.decompress(p.read_bytes()) if name.endswith(".gz") else p.read_bytes()
            magic, n, rows, cols = np.frombuffer(raw[:16], dtype=">i4")
            if magic != 2051:
                raise ValueError(f"{p}: not an IDX image file (magic {magic})")
            return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows, cols)
    raise FileNotFoundError(f"no t10k-images-idx3-ubyte(.gz) in {folder}")


def mnist_rows(images: np.ndarray) -> List[dict]:
    """MNIST digits as PNG bytes, so that they take the same path (and resize) as files do."""
    from PIL import Image

    rows = []
    for i, im in enumerate(images):
        buf = io.BytesIO()
        Image.fromarray(im, mode="L").save(buf, format="PNG")
        rows.append({"path": f"mnist-test/{i}", "bytes": buf.getvalue()})
    return rows


def score_dataset(ds, model_bytes: bytes, info: dict, workers: int, batch_size: int, threads: int = 1):
    """The pipeline: rows {path, bytes} -> one stage of `workers` actors that decode and score
    (decoding beside the session keeps every worker busy; a separate decode stage on few CPUs
    would feed one worker at a time). Returns a Ray Dataset of result rows."""
    import ray

    # Start scoring once every worker's session is loaded, so that a fast first worker does not
    # take every batch while the others are still starting.
    ctx = ray.data.DataContext.get_current()
    ctx.wait_for_min_actors_s = max(ctx.wait_for_min_actors_s, 300)
    return ds.map_batches(
        DecodeAndScore,
        fn_constructor_kwargs={"model_bytes": model_bytes, "size": info["imageSize"], "channels": info["channels"], "threads": threads},
        compute=ray.data.ActorPoolStrategy(size=workers),
        batch_size=batch_size,
        batch_format="numpy",
        num_cpus=1,
    )


class DecodeAndScore:
    """The Ray Data stage: decode (errors per file) then score, one ONNX Runtime session per actor."""

    def __init__(self, model_bytes: bytes, size: int, channels: int, threads: int = 1) -> None:
        self.scorer = OnnxScorer(model_bytes, threads)
        self.size, self.channels = size, channels

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        t0 = time.perf_counter()
        out = self.scorer(decode_batch(batch, self.size, self.channels))
        # Seconds per image of this batch, decoding included (summed per worker: its images/s).
        out["seconds"] = np.full(len(out["path"]), (time.perf_counter() - t0) / max(len(out["path"]), 1), dtype=np.float64)
        return out


def score_local(rows: List[dict], model_bytes: bytes, info: dict, batch_size: int) -> Dict[str, dict]:
    """The same stages in this process, without Ray: the reference the distributed run must equal."""
    stage = DecodeAndScore(model_bytes, info["imageSize"], info["channels"])
    out: Dict[str, dict] = {}
    for start in range(0, len(rows), batch_size):
        part = rows[start : start + batch_size]
        b = {"path": np.array([r["path"] for r in part], dtype=object), "bytes": np.array([r["bytes"] for r in part], dtype=object)}
        r = stage(b)
        for i, p in enumerate(r["path"]):
            out[str(p)] = {"score": float(r["score"][i]), "error": str(r["error"][i])}
    return out


def loopback_only() -> None:
    """Makes a local Ray bind to 127.0.0.1: Ray replaces 127.0.0.1 by the machine's routable address
    unless its "cluster" mode is off, which this environment variable (read when ray is first
    imported) turns off. Call before `import ray`."""
    if "ray" in sys.modules:
        raise RuntimeError("loopback_only() must run before ray is imported")
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"


def init_ray(address: Optional[str], num_cpus: int):
    import ray

    if address:
        return ray.init(address=address)
    # A local cluster on the loopback address only, without the dashboard.
    return ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="an .onnx file from `ganomaly export`")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--folder", help="a folder of PNG/JPEG images (local path, or any path Ray's read_binary_files reads: s3://, gs://, ...)")
    src.add_argument("--mnist", help="a folder with t10k-images-idx3-ubyte(.gz): scores the MNIST test set")
    ap.add_argument("--out", required=True, help="CSV: path, score, normalized_score, is_anomaly, error")
    ap.add_argument("--address", help="an existing Ray cluster (ray://host:10001 or auto); default: a local one")
    ap.add_argument("--workers", type=int, default=2, help="scoring actors (one ONNX Runtime session each)")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--limit", type=int, default=None, help="score only the first N images")
    ap.add_argument("--blocks", type=int, default=None, help="Ray Data blocks to read into (default: Ray's choice; MNIST: 4 per worker)")
    args = ap.parse_args(argv)

    if not args.address:
        loopback_only()
    import ray

    model_bytes = Path(args.model).read_bytes()
    info = model_info(model_bytes)
    init_ray(args.address, max(args.workers + 1, 2))
    try:
        if args.folder:
            files = folder_files(args.folder) if "://" not in args.folder else args.folder
            ds = ray.data.read_binary_files(files, include_paths=True, override_num_blocks=args.blocks)
        else:
            images = read_mnist_test(args.mnist)[: args.limit]
            ds = ray.data.from_items(mnist_rows(images), override_num_blocks=args.blocks or 4 * args.workers)
        if args.limit and args.folder:
            ds = ds.limit(args.limit)
        t0 = time.perf_counter()
        rows = score_dataset(ds, model_bytes, info, args.workers, args.batch_size).take_all()
        seconds = time.perf_counter() - t0
    finally:
        ray.shutdown()
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "score", "normalized_score", "is_anomaly", "error"])
        for r in sorted(rows, key=lambda r: str(r["path"])):
            bad = r["error"] != ""
            w.writerow([r["path"], "" if bad else f"{r['score']:.9g}", "" if bad or np.isnan(r["normalized_score"]) else f"{r['normalized_score']:.9g}", "" if bad or r["is_anomaly"] < 0 else int(r["is_anomaly"]), r["error"]])
    failed = sum(1 for r in rows if r["error"] != "")
    print(f"scored {len(rows) - failed} image(s) in {seconds:.1f} s on {args.workers} worker(s), {failed} failed to decode; wrote {args.out}", file=sys.stderr)
    return 0 if len(rows) > failed else 3


if __name__ == "__main__":
    sys.exit(main())
