"""PyTorch side of bench/onnx/score.mjs: builds the reference GANomaly generator of
bench/pytorch/ganomaly.py, puts it in eval mode and, for every line "run" on stdin, times
`iters` scoring batches (no_grad, eager, as cmd_bench scores) and prints {"img_per_s": ...}."""
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pytorch"))
import ganomaly as ref  # noqa: E402

isize, nc, nz, ngf, batch, iters, threads = (int(v) for v in sys.argv[1:8])
torch.set_num_threads(threads)
torch.manual_seed(0)
cfg = ref.Config(isize=isize, nc=nc, nz=nz, ngf=ngf, ndf=ngf, extra_layers=0, lr=2e-4, score_variant="l2", seed=0)
model = ref.Ganomaly(cfg, torch.device("cpu"))
model.netg.eval()
xs = torch.rand(batch, nc, isize, isize) * 2 - 1


def score_batch() -> None:
    z, _, z_hat = model.netg(xs)
    model.latent_score(z, z_hat).cpu()


with torch.no_grad():
    score_batch()
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t0 = time.perf_counter()
        for _ in range(iters):
            score_batch()
        sec = time.perf_counter() - t0
        print(json.dumps({"img_per_s": batch * iters / sec}), flush=True)
