#!/usr/bin/env python3
"""PyTorch Skip-GANomaly (Akcay, Atapour-Abarghouei, Breckon, IJCNN 2019) for the @ganomaly benchmarks.

It follows the authors' code (github.com/samet-akcay/skip-ganomaly at b33bd55: lib/models/
skipganomaly.py, lib/models/networks.py, options.py) and takes the data, the split, the epoch
loop, the BatchNorm modes, the metrics, the protocol's loop and JSON fields and ``serve`` from
``ganomaly.py`` in this folder (imported, not copied), so that its runs are on the same seeded
splits as GANomaly's:

* Generator: the authors' ``define_G``, a pix2pix U-Net (``UnetGenerator``) with
  ``num_downs = log2(isize)`` stride-2 Conv(k4 s2 p1) steps down to 1x1, widths ngf, 2ngf, 4ngf,
  8ngf, 8ngf, ..., and ConvTranspose(k4 s2 p1) steps up; at every scale the block's input is
  concatenated with its output (the skip connections). Down: LeakyReLU(0.2) + Conv + BatchNorm
  (none on the outermost and innermost convs); up: ReLU + ConvT + BatchNorm, the outermost ends in
  Tanh. Convs without bias except the outermost ConvT (as with BatchNorm in the pix2pix code).
  ``isize`` must be a power of two >= 32 (the fixed five levels of the U-Net).
* Discriminator (``--netd``): ``dcgan`` (default) is GANomaly's DCGAN discriminator, ganomaly.py's
  ``Discriminator`` (features f(x) = the last LeakyReLU, 4x4; classifier Conv k4 s1 p0 + Sigmoid),
  the one the TypeScript library's skip-ganomaly uses, for parity; ``basic`` is the authors'
  ``define_D`` = ``BasicDiscriminator``: the same DCGAN body and final Conv(k4 s1 p0) to ``nz``
  channels, whose [n, nz, 1, 1] output is f(x), and a classifier Conv(nz -> 1, k3 s1 p1, no bias)
  + Sigmoid on it.
* Init (``init_weights(..., 'normal', 0.02)``): conv weights N(0, 0.02), biases 0, BatchNorm
  gamma N(1, 0.02), beta 0.
* Generator loss: w_adv * BCE(D(x_hat), 1) + w_con * mean|x - x_hat| + w_lat * mean((f(x) -
  f(x_hat))^2), weights 1, 50, 1 (options.py). In the authors' code the *adversarial* term is the
  BCE on D's output and the *latent* term is the feature matching on D's feature map.
* Discriminator loss: BCE(D(x), 1) + BCE(D(x_hat.detach()), 0) + w_lat * mean((f(x) -
  f(x_hat))^2): the code adds the generator's latent term ``err_g_lat`` to D's loss, so D also
  pulls the features of x and x_hat together (``--no-d-lat`` drops it). D's gradient of that term
  is computed on the detached x_hat; in the authors' code the same gradient reaches D (the part
  that flows into G is discarded). D is re-initialised when its loss falls below 1e-5.
* Each iteration: G step, then D step. Adam lr 2e-4, betas (0.5, 0.999). No learning-rate decay
  (``update_learning_rate`` is never called in that code). The code adds ``self.noise`` to G's
  input, a ``torch.empty`` buffer that ``set_input`` never fills (``noise=False``): no noise here.
* Score, per image (the code's ``test``): rec = mean((x - x_hat)^2), lat = mean((f(x) - f(x_hat))^2),
  score = 0.9 * rec + 0.1 * lat (``--score-variant l1`` uses mean absolute errors instead).
  The code then min-max scales the scores over the *test* set. Here the scaling is fitted on
  **held-out normal images of the training side** (``calibration`` in the JSON): with
  ``--max-train N`` they are the K images that follow the N training images in the seeded order
  (ganomaly.py's ``--val-normal K``; the training set is then exactly GANomaly's); without a cap,
  the last K images of the training prefix are held out and not trained on. K = ``--val-normal``,
  else ``--calib-normal``, else max(64, 10 % of the training images). ``--score-scaling
  combined`` (default, the code's order) scales the combined score, which is monotone and leaves
  the AUROC unchanged; ``parts`` scales each term first (experiments/variants.mjs's 'skip').
* BatchNorm at scoring (``--bn-mode``, as ganomaly.py): ``population`` recomputes the statistics of
  every BatchNorm layer of G (over the training images) and of D (over the same real training
  images), then scores in eval mode; ``running`` uses the running averages; ``batch`` is the
  authors' (train-mode forward under no_grad, running statistics restored). The code's best-epoch
  selection on the test AUROC is not copied: ``auroc`` is the last epoch's.

    .venv/bin/python bench/pytorch/skip_ganomaly.py protocol --dataset mnist --anomaly-class 1 --seed 0 \\
        --max-train 600 --max-test-normal 200 --max-test-anomalous 200 --epochs 3 --ngf 16 --nz 32

Prints one JSON object on the last line of stdout (the fields of experiments/pytorch_protocol.py's
output, plus ``model``, ``calibration`` and ``test_scores_raw``); one JSON line per epoch goes to
stderr. ``serve`` reads one JSON argument list per stdin line and answers one ``{"ok": result}``
or ``{"error": message}`` line each, as pytorch_protocol.py's ``serve`` does for run.mjs.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent


def _load_ganomaly():
    """bench/pytorch/ganomaly.py as a module (data, split, training loop, BatchNorm helpers, AUROC,
    the protocol's loop and record, serve)."""
    name = "ganomaly_bench"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "ganomaly.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


gan = _load_ganomaly()
BN_MODES = gan.BN_MODES
Tensor = torch.Tensor


# ----------------------------------------------------------------------------------------------
# Networks (the authors' define_G / define_D)
# ----------------------------------------------------------------------------------------------


def check_isize(isize: int) -> None:
    if isize < 32 or isize & (isize - 1):
        raise ValueError(f"isize must be a power of two >= 32 (the U-Net has at least five levels), got {isize}")


class UnetSkipBlock(nn.Module):
    """One level of the U-Net: x -> cat(x, up(sub(down(x)))); the outermost returns up(...) only."""

    def __init__(self, outer_nc: int, inner_nc: int, input_nc: Optional[int] = None,
                 submodule: Optional[nn.Module] = None, outermost: bool = False, innermost: bool = False) -> None:
        super().__init__()
        self.outermost = outermost
        input_nc = outer_nc if input_nc is None else input_nc
        # BatchNorm => no bias in the convs (pix2pix's use_bias = norm is InstanceNorm).
        downconv = nn.Conv2d(input_nc, inner_nc, 4, 2, 1, bias=False)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = nn.BatchNorm2d(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = nn.BatchNorm2d(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1)  # with bias, as in the code
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, 4, 2, 1, bias=False)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1, bias=False)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
        self.model = nn.Sequential(*model)

    def forward(self, x: Tensor) -> Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """The authors' U-Net generator: [n, nc, s, s] -> [n, nc, s, s] in [-1, 1], log2(s) levels."""

    def __init__(self, isize: int, nc: int, ngf: int) -> None:
        super().__init__()
        check_isize(isize)
        num_downs = int(math.log2(isize))
        block = UnetSkipBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipBlock(ngf * 8, ngf * 8, submodule=block)
        block = UnetSkipBlock(ngf * 4, ngf * 8, submodule=block)
        block = UnetSkipBlock(ngf * 2, ngf * 4, submodule=block)
        block = UnetSkipBlock(ngf, ngf * 2, submodule=block)
        self.model = UnetSkipBlock(nc, ngf, input_nc=nc, submodule=block, outermost=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)


class Discriminator(nn.Module):
    """The authors' BasicDiscriminator. ``forward`` returns (probability [n], features [n, nz, 1, 1]).

    Its features are ganomaly.py's DCGAN ``Encoder`` to ``nz`` channels (the same layers, in one
    Sequential with the final conv last)."""

    def __init__(self, isize: int, nz: int, nc: int, ndf: int) -> None:
        super().__init__()
        check_isize(isize)
        body = gan.Encoder(isize, nz, nc, ndf)
        self.features = nn.Sequential(*body.features, body.final)
        self.classifier = nn.Sequential(nn.Conv2d(nz, 1, 3, 1, 1, bias=False), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        f = self.features(x)
        return self.classifier(f).view(-1), f


# ``init_weights(net, 'normal', 0.02)``: (transposed) conv weights N(0, 0.02), biases 0; BatchNorm
# gamma N(1, 0.02), beta 0 (running statistics reset too): ganomaly.py's ``weights_init``.
init_weights = gan.weights_init


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------


@dataclass
class Config:
    """Hyper-parameters (defaults = the authors' options.py / skipganomaly.py)."""

    isize: int = 32
    nc: int = 1
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    netd: str = "dcgan"  # 'dcgan': GANomaly's D (as the TS library); 'basic': the authors' BasicDiscriminator
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    adam_eps: float = 1e-8
    w_adv: float = 1.0
    w_con: float = 50.0
    w_lat: float = 1.0
    d_lat: bool = True  # the code adds err_g_lat to D's loss
    d_reset_threshold: float = 1e-5
    rec_weight: float = 0.9  # score = rec_weight * rec + (1 - rec_weight) * lat
    score_variant: str = "l2"  # 'l2': mean squared errors (the code's); 'l1': mean absolute errors
    score_scaling: str = "combined"  # 'combined': min-max of the combined score (the code's order); 'parts'
    seed: int = 0


class SkipGanomaly(gan.AdversarialModel):
    """U-Net generator G, discriminator D and their Adam optimisers (the epoch loop and the
    BatchNorm bookkeeping are ganomaly.py's ``AdversarialModel``)."""

    def __init__(self, cfg: Config, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device
        torch.manual_seed(cfg.seed)
        self.netg = UnetGenerator(cfg.isize, cfg.nc, cfg.ngf).to(device)
        if cfg.netd == "basic":
            self.netd = Discriminator(cfg.isize, cfg.nz, cfg.nc, cfg.ndf).to(device)
        elif cfg.netd == "dcgan":
            self.netd = gan.Discriminator(cfg.isize, cfg.nc, cfg.ndf).to(device)
        else:
            raise ValueError(f"unknown netd {cfg.netd!r}; expected 'dcgan' or 'basic'")
        self._init_training(init_weights)

    # -- training ------------------------------------------------------------------------------

    # ``train_step`` (ganomaly.py's ``AdversarialModel``) is the code's optimize_params: G step
    # with ``generator_loss``, then D step with ``discriminator_loss``.

    def generator_loss(self, x: Tensor) -> Tuple[Tensor, Dict[str, Tensor], Tensor]:
        """forward() and backward_g(): G, then D on x and x_hat (D's parameters are frozen for G's
        step; the code computes their gradients and zeroes them before D's step: the same update);
        w_adv * BCE(D(x_hat), 1) + w_con * L_con + w_lat * L_lat (terms "adv", "con", "lat")."""
        cfg = self.cfg
        fake = self.netg(x)
        pred_real, feat_real = self.netd(x)
        pred_fake, feat_fake = self.netd(fake)
        l_adv = F.binary_cross_entropy(pred_fake, torch.ones_like(pred_fake))
        l_con = F.l1_loss(fake, x)
        l_lat = F.mse_loss(feat_fake, feat_real)
        loss_g = cfg.w_adv * l_adv + cfg.w_con * l_con + cfg.w_lat * l_lat
        return loss_g, {"adv": l_adv, "con": l_con, "lat": l_lat}, fake

    def discriminator_loss(self, x: Tensor, fake: Tensor) -> Tensor:
        """backward_d(): BCE on D(x) (the code reuses forward()'s pred_real, made by the same D
        weights) and on D(x_hat detached), plus the latent term."""
        cfg = self.cfg
        pred_real, feat_real = self.netd(x)
        pred_fake, feat_fake = self.netd(fake)
        loss_d = F.binary_cross_entropy(pred_real, torch.ones_like(pred_real)) + F.binary_cross_entropy(
            pred_fake, torch.zeros_like(pred_fake)
        )
        if cfg.d_lat:
            loss_d = loss_d + cfg.w_lat * F.mse_loss(feat_fake, feat_real)
        return loss_d

    # -- BatchNorm statistics ------------------------------------------------------------------

    def _nets(self) -> nn.ModuleList:
        return nn.ModuleList([self.netg, self.netd])

    @torch.no_grad()
    def recompute_population_stats(self, images: Tensor, batch_size: int = 64, method: str = "exact") -> None:
        """Population statistics of G's BatchNorm layers over ``images`` (G's input) and of D's
        over the same real images (D's input at scoring is x and x_hat ~ x), in one unshuffled
        train-mode pass each; 'exact' float64 sums or PyTorch's 'cumulative' momentum=None."""

        def forward(x: Tensor) -> None:
            self.netg(x)
            self.netd(x)

        self._population_stats(self._nets(), forward, images, batch_size, method)

    # -- scoring -------------------------------------------------------------------------------

    def parts(self, x: Tensor, x_hat: Tensor, f: Tensor, f_hat: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-image reconstruction and feature errors (mean squared, or mean absolute for 'l1')."""
        dr = (x - x_hat).flatten(1)
        dl = (f - f_hat).flatten(1)
        if self.cfg.score_variant == "l1":
            return dr.abs().mean(dim=1), dl.abs().mean(dim=1)
        return dr.pow(2).mean(dim=1), dl.pow(2).mean(dim=1)

    @torch.no_grad()
    def score_parts(self, images: Tensor, bn_mode: str = "population", batch_size: int = 256) -> Dict[str, np.ndarray]:
        """Per-image components (float64): reconstruction = mean |x - x_hat|, reconstruction_l2 =
        mean (x - x_hat)^2, features_l1 = mean |f(x) - f(x_hat)|, features = mean (f(x) - f(x_hat))^2,
        in BatchNorm mode ``bn_mode`` (as ganomaly.py's ``score``)."""
        out: Dict[str, List[Tensor]] = {k: [] for k in COMPONENTS}
        with self._scoring(self._nets(), bn_mode):
            for start in range(0, images.shape[0], batch_size):
                x = images[start : start + batch_size].to(self.device)
                x_hat = self.netg(x)
                _, f = self.netd(x)
                _, f_hat = self.netd(x_hat)
                dr = (x - x_hat).flatten(1)
                dl = (f - f_hat).flatten(1)
                out["reconstruction"].append(dr.abs().mean(dim=1))
                out["reconstruction_l2"].append(dr.pow(2).mean(dim=1))
                out["features_l1"].append(dl.abs().mean(dim=1))
                out["features"].append(dl.pow(2).mean(dim=1))
        return {k: torch.cat(v).double().cpu().numpy() for k, v in out.items()}

    def combine(self, parts: Dict[str, np.ndarray], calib: Dict[str, np.ndarray]) -> Tuple[np.ndarray, np.ndarray, Dict]:
        """(raw, scaled, scaling): the score rec_weight * rec + (1 - rec_weight) * lat from the
        components ('l2': the squared errors, the code's; 'l1': the absolute ones) and its min-max
        scaling fitted on the calibration images' components ``calib``.
        scaling 'combined' (the code's order): the raw score, then one min-max of it;
        scaling 'parts': each term min-max scaled first, then combined (experiments/variants.mjs's
        'skip'), which changes the weighting and so the AUROC."""
        cfg = self.cfg
        rk, lk = ("reconstruction_l2", "features") if cfg.score_variant == "l2" else ("reconstruction", "features_l1")
        w = cfg.rec_weight

        def mm(v: np.ndarray, ref: np.ndarray) -> Tuple[np.ndarray, float, float]:
            lo, hi = float(ref.min()), float(ref.max())
            return (v - lo) / (hi - lo if hi > lo else 1.0), lo, hi

        raw = w * parts[rk] + (1 - w) * parts[lk]
        if cfg.score_scaling == "combined":
            ref = w * calib[rk] + (1 - w) * calib[lk]
            scaled, lo, hi = mm(raw, ref)
            return raw, scaled, {"min": lo, "max": hi}
        r, rlo, rhi = mm(parts[rk], calib[rk])
        l, llo, lhi = mm(parts[lk], calib[lk])
        return raw, w * r + (1 - w) * l, {"reconstruction": {"min": rlo, "max": rhi}, "features": {"min": llo, "max": lhi}}


COMPONENTS = ("reconstruction", "reconstruction_l2", "features_l1", "features")


# ----------------------------------------------------------------------------------------------
# The protocol
# ----------------------------------------------------------------------------------------------


def calibration_split(labels: np.ndarray, args: argparse.Namespace) -> Tuple[object, np.ndarray, np.ndarray, str]:
    """The seeded split of ganomaly.py's protocol, and held-out normal images of the training side.

    Returns (split, train_idx, calib_idx, source). With --max-train N the calibration images are
    the next K images of the seeded normal order after the N training images (ganomaly.py's
    --val-normal K; the training set is exactly ganomaly.py's); without a cap they are the last K
    images of the training prefix, which then trains on the rest. K = --val-normal, else
    --calib-normal, else max(64, 10 % of the training images)."""
    base = gan.leave_one_class_out(labels, args.anomaly_class, args.seed, args.max_train,
                                   args.max_test_normal, args.max_test_anomalous)
    n_train = len(base.train_idx)
    k = args.val_normal or args.calib_normal or max(64, round(0.1 * n_train))
    if args.max_train is not None:
        wide = gan.leave_one_class_out(labels, args.anomaly_class, args.seed, args.max_train + k,
                                       args.max_test_normal, args.max_test_anomalous)
        spare = wide.train_idx[n_train:]
        if len(spare) == k and np.array_equal(wide.train_idx[:n_train], base.train_idx):
            return base, base.train_idx, spare, f"the {k} normal images after the {n_train} training images in the seeded order"
        if args.val_normal:
            raise SystemExit(f"--val-normal {k}: fewer than {k} normal images follow the {n_train} training images")
    if k >= n_train - 1:
        raise SystemExit(f"{k} calibration images leave fewer than 2 of the {n_train} training images")
    return (base, base.train_idx[:-k], base.train_idx[-k:],
            f"the last {k} of the {n_train} images of the training prefix (held out, not trained on)")


# Pooled images and labels (train then test), cached for ``serve``.
load_data = functools.lru_cache(maxsize=2)(gan.load_pooled)


def cmd_protocol(args: argparse.Namespace) -> Dict:
    device = gan._setup(args)
    data_dir = gan.data_dir_of(args)
    images, labels = load_data(args.dataset, data_dir)
    split, train_idx, calib_idx, calib_source = calibration_split(labels, args)
    train_x = gan.to_input(images[train_idx], args.isize)
    calib_x = gan.to_input(images[calib_idx], args.isize)
    test_x = gan.to_input(images[split.test_idx], args.isize)
    cfg = Config(
        isize=args.isize, nc=images.shape[1], nz=args.nz, ngf=args.ngf, ndf=args.ndf or args.ngf, netd=args.netd, lr=args.lr,
        w_adv=args.w_adv, w_con=args.w_con, w_lat=args.w_lat if args.w_lat is not None else args.w_enc,
        d_lat=args.d_lat, rec_weight=args.rec_weight, score_variant=args.score_variant,
        score_scaling=args.score_scaling, seed=args.seed,
    )
    model = SkipGanomaly(cfg, device)
    components: List[Dict] = []

    def evaluate(modes: Sequence[str], epoch: int) -> Dict[str, Dict]:
        """Per mode: test and calibration components, the scores and the test AUROC."""
        out = {}
        for mode in modes:
            if mode == "population":
                model.recompute_population_stats(train_x, args.batch, args.population_method)
            parts = model.score_parts(test_x, mode, args.score_batch)
            calib = model.score_parts(calib_x, mode, args.score_batch)
            raw, scaled, scaling = model.combine(parts, calib)
            out[mode] = {"auroc": gan.auroc(scaled, split.test_labels), "raw": raw, "scaled": scaled, "scaling": scaling}
            if mode == "population" and args.components:
                components.append({"epoch": epoch, "test": {k: v.tolist() for k, v in parts.items()},
                                   "val_normal": {k: v.tolist() for k, v in calib.items()}})
        return out

    run = gan.protocol_epochs(args, model, device, train_x, evaluate, lambda r: r["auroc"])
    chosen = run.final[args.bn_mode]
    body = {
        "split": {**split.counts, "train": int(len(train_idx)), "val_normal": int(len(calib_idx))},
        "calibration": {"source": calib_source, "count": int(len(calib_idx)), "bn_mode": args.bn_mode,
                        "scaling": cfg.score_scaling, **chosen["scaling"]},
        "test_scores": [float(v) for v in chosen["scaled"]],
        "test_scores_raw": [float(v) for v in chosen["raw"]],
        "test_labels": [int(v) for v in split.test_labels],
        **({"components": components, "test_labels_components": [int(v) for v in split.test_labels]} if args.components else {}),
    }
    return gan.protocol_record(args, cfg, device, data_dir, run, body, head={"model": "skip-ganomaly"},
                               config_extra={"val_normal": int(len(calib_idx))})


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("protocol", help="leave-one-class-out protocol (MNIST / CIFAR-10)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    r.add_argument("--dataset", choices=("mnist", "cifar10"), default="mnist")
    r.add_argument("--anomaly-class", type=int, default=1)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--epochs", type=int, default=15)
    r.add_argument("--isize", type=int, default=32, help="image size (power of two >= 32)")
    r.add_argument("--nz", type=int, default=100, help="--netd basic: D's feature size (its final conv's channels); unused by dcgan")
    r.add_argument("--netd", choices=("dcgan", "basic"), default="dcgan", help="dcgan: GANomaly's D (the TS library's); basic: the authors' BasicDiscriminator")
    r.add_argument("--ngf", type=int, default=64, help="base width of G (and of D unless --ndf)")
    r.add_argument("--ndf", type=int, default=0, help="base width of D (0: = ngf)")
    r.add_argument("--extra-layers", type=int, default=0, choices=(0,), help="accepted for ganomaly.py's CLI; must be 0")
    r.add_argument("--batch", type=int, default=64)
    r.add_argument("--score-batch", type=int, default=256)
    r.add_argument("--lr", type=float, default=2e-4)
    r.add_argument("--w-adv", type=float, default=1.0, help="weight of BCE(D(x_hat), 1)")
    r.add_argument("--w-con", type=float, default=50.0, help="weight of mean |x - x_hat|")
    r.add_argument("--w-lat", type=float, default=None, help="weight of mean (f(x) - f(x_hat))^2 (default: --w-enc)")
    r.add_argument("--w-enc", type=float, default=1.0, help="alias of --w-lat (the flag run.mjs passes)")
    r.add_argument("--no-d-lat", dest="d_lat", action="store_false", help="leave the latent term out of D's loss")
    r.add_argument("--rec-weight", type=float, default=0.9, help="score = w * rec + (1 - w) * lat")
    r.add_argument("--score-variant", choices=("l2", "l1"), default="l2", help="l2: mean squared errors (code); l1: mean absolute")
    r.add_argument("--score-scaling", choices=("combined", "parts"), default="combined",
                   help="combined: min-max of the combined score (the code's order); parts: each term scaled, then combined")
    r.add_argument("--val-normal", type=int, default=0, help="calibration images: this many normal images after the --max-train prefix (as ganomaly.py)")
    r.add_argument("--calib-normal", type=int, default=0, help="calibration images when --val-normal is not given (0: max(64, 10%% of train))")
    r.add_argument("--components", action="store_true", help="add every epoch's score components (test and calibration images, population mode)")
    r.add_argument("--bn-mode", choices=BN_MODES, default="population")
    r.add_argument("--population-method", choices=("exact", "cumulative"), default="exact")
    r.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: all cores)")
    r.add_argument("--device", default="cpu", help="cpu or cuda")
    r.add_argument("--data-dir", default=None, help="folder with mnist/ and cifar10/ (default: <repo>/../shared/data)")
    r.add_argument("--max-train", type=int, default=None)
    r.add_argument("--max-test-normal", type=int, default=None)
    r.add_argument("--max-test-anomalous", type=int, default=None)
    return p


def run(argv: Sequence[str]) -> Dict:
    args = build_parser().parse_args(list(argv))
    gan.check_caps(args)
    if args.calib_normal < 0 or args.val_normal < 0:
        raise SystemExit("--calib-normal and --val-normal must be >= 0")
    if args.val_normal and args.max_train is None:
        raise SystemExit("--val-normal needs --max-train (the held-out images follow the training prefix)")
    if not 0.0 <= args.rec_weight <= 1.0:
        raise SystemExit(f"--rec-weight must be in [0, 1], got {args.rec_weight}")
    try:
        check_isize(args.isize)
    except ValueError as e:
        raise SystemExit(f"--isize: {e}")
    return cmd_protocol(args)


def main(argv: Optional[Sequence[str]] = None) -> None:
    # serve (as experiments/pytorch_protocol.py): one JSON array of arguments per stdin line ->
    # one line {"ok": result} or {"error": message} on stdout; per-epoch progress on stderr.
    gan.run_or_serve(run, sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":
    main()
