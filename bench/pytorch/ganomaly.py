#!/usr/bin/env python3
"""PyTorch reference implementation of GANomaly (Akcay et al., ACCV 2018) for the @ganomaly benchmarks.

It follows the authors' PyTorch code and docs/GANOMALY-SPEC.md, with the same choices as the
TypeScript library so the two can be compared number for number:

* DCGAN encoder / decoder / discriminator for any power-of-two ``isize >= 16`` (conv k4 s2 p1 without
  bias, final conv k4 s1 p0, the decoder mirrors it with ConvTranspose and ends in Tanh; BatchNorm
  momentum 0.1 (PyTorch terms), eps 1e-5; LeakyReLU 0.2; conv weights N(0, 0.02), BN gamma
  N(1, 0.02), beta 0). The discriminator is the encoder with nz = 1: its feature map is the output
  of the last LeakyReLU, its classifier the final conv + sigmoid.
* Losses: L_adv = mean((f(x) - f(x_hat))^2) (D in train mode for both), L_con = mean|x - x_hat|,
  L_enc = mean((z - z_hat)^2); generator loss 1*L_adv + 50*L_con + 1*L_enc; discriminator loss
  0.5*(BCE(D(x), 1) + BCE(D(x_hat.detach()), 0)). Each iteration: G step, then D step; D is
  re-initialised when its loss falls below 1e-5. Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8.
* Score: mean over latent dims of (z - z_hat)^2 (``'l2'``, the code's), or sum |z - z_hat| (``'l1'``,
  the paper's).
* BatchNorm at scoring: ``'population'`` (statistics recomputed over the training images after
  training, then eval mode), ``'running'`` (plain eval mode), ``'batch'`` (train-mode forward under
  no_grad, the original code; running statistics restored afterwards).

Modes (each prints ONE JSON object on the last line of stdout):

    /usr/bin/python3 bench/pytorch/ganomaly.py bench --threads 2
    /usr/bin/python3 bench/pytorch/ganomaly.py protocol --dataset mnist --anomaly-class 1 --seed 0

See bench/pytorch/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import json
import math
import os
import resource
import statistics
import struct
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_MODES = ("population", "running", "batch")
Tensor = torch.Tensor


# ----------------------------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------------------------


def _check_isize(isize: int) -> None:
    if isize < 16 or isize & (isize - 1):
        raise ValueError(f"isize must be a power of two >= 16, got {isize}")


class Encoder(nn.Module):
    """DCGAN encoder: images [n, nc, isize, isize] -> [n, nz, 1, 1].

    ``features`` holds every layer up to the last LeakyReLU; ``final`` is the k4 s1 p0 projection.
    """

    def __init__(self, isize: int, nz: int, nc: int, ndf: int, extra_layers: int = 0) -> None:
        super().__init__()
        _check_isize(isize)
        layers: List[nn.Module] = [
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        csize, cndf = isize // 2, ndf
        for _ in range(extra_layers):
            layers += [nn.Conv2d(cndf, cndf, 3, 1, 1, bias=False), nn.BatchNorm2d(cndf), nn.LeakyReLU(0.2, inplace=True)]
        while csize > 4:
            layers += [
                nn.Conv2d(cndf, cndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(cndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            cndf *= 2
            csize //= 2
        self.features = nn.Sequential(*layers)
        self.final = nn.Conv2d(cndf, nz, 4, 1, 0, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.final(self.features(x))


class Decoder(nn.Module):
    """DCGAN decoder: latent codes [n, nz, 1, 1] -> images [n, nc, isize, isize] in [-1, 1]."""

    def __init__(self, isize: int, nz: int, nc: int, ngf: int, extra_layers: int = 0) -> None:
        super().__init__()
        _check_isize(isize)
        cngf, tisize = ngf // 2, 4
        while tisize != isize:
            cngf *= 2
            tisize *= 2
        layers: List[nn.Module] = [
            nn.ConvTranspose2d(nz, cngf, 4, 1, 0, bias=False),
            nn.BatchNorm2d(cngf),
            nn.ReLU(True),
        ]
        csize = 4
        while csize < isize // 2:
            layers += [
                nn.ConvTranspose2d(cngf, cngf // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(cngf // 2),
                nn.ReLU(True),
            ]
            cngf //= 2
            csize *= 2
        for _ in range(extra_layers):
            layers += [nn.Conv2d(cngf, cngf, 3, 1, 1, bias=False), nn.BatchNorm2d(cngf), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(cngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z)


class Generator(nn.Module):
    """The encoder-decoder-encoder G_E -> G_D -> E. ``forward`` returns (z, x_hat, z_hat)."""

    def __init__(self, isize: int, nz: int, nc: int, ngf: int, extra_layers: int = 0) -> None:
        super().__init__()
        self.encoder1 = Encoder(isize, nz, nc, ngf, extra_layers)
        self.decoder = Decoder(isize, nz, nc, ngf, extra_layers)
        self.encoder2 = Encoder(isize, nz, nc, ngf, extra_layers)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        z = self.encoder1(x)
        x_hat = self.decoder(z)
        z_hat = self.encoder2(x_hat)
        return z, x_hat, z_hat


class Discriminator(nn.Module):
    """D = the encoder with nz = 1. ``forward`` returns (probability [n], feature map f(x))."""

    def __init__(self, isize: int, nc: int, ndf: int, extra_layers: int = 0) -> None:
        super().__init__()
        body = Encoder(isize, 1, nc, ndf, extra_layers)
        self.features = body.features
        self.classifier = nn.Sequential(body.final, nn.Sigmoid())

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        f = self.features(x)
        return self.classifier(f).view(-1), f


def weights_init(m: nn.Module) -> None:
    """The authors' DCGAN init: (transposed) conv N(0, 0.02), biases 0 (GANomaly's convs have none;
    skip_ganomaly.py's U-Net has one); BatchNorm gamma N(1, 0.02), beta 0.

    BatchNorm running statistics are reset too (as the TypeScript library's re-initialisation does).
    """
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
        m.reset_running_stats()


@torch.no_grad()
def exact_bn_statistics(net: nn.Module, images: Tensor, batch_size: int, device: torch.device) -> None:
    """Sets every BatchNorm layer of ``net`` (already in train mode) to the exact statistics of its
    input over ``images``, in one unshuffled pass (``exact_population``)."""

    def run() -> None:
        for start in range(0, images.shape[0], batch_size):
            net(images[start : start + batch_size].to(device))

    exact_population(bn_layers(net), run)


@torch.no_grad()
def exact_population(layers: Sequence[nn.BatchNorm2d], run: Callable[[], None]) -> None:
    """Sets each BatchNorm layer of ``layers`` (already in train mode) to the exact statistics of
    its input over every batch that ``run()`` pushes through: per channel, in float64, the sum S1
    and sum of squares S2 over all pixels of all images; mean = S1/N, variance = S2/N - mean^2
    (biased, the variance train mode normalises with)."""
    acc: Dict[nn.BatchNorm2d, List] = {m: [0.0, 0.0, 0] for m in layers}

    def hook(m: nn.Module, inp: Tuple[Tensor, ...]) -> None:
        t = inp[0].double()
        a = acc[m]  # type: ignore[index]
        a[0] = a[0] + t.sum(dim=(0, 2, 3))
        a[1] = a[1] + (t * t).sum(dim=(0, 2, 3))
        a[2] += t.numel() // t.shape[1]

    handles = [m.register_forward_pre_hook(hook) for m in acc]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    for m, (s1, s2, n) in acc.items():
        mean = s1 / n
        m.running_mean.copy_(mean.to(m.running_mean.dtype))
        m.running_var.copy_((s2 / n - mean * mean).clamp_min(0.0).to(m.running_var.dtype))


# ----------------------------------------------------------------------------------------------
# Model: training step, BatchNorm statistics, scoring
# ----------------------------------------------------------------------------------------------


@dataclass
class Config:
    """Hyper-parameters (defaults = the spec / the authors' code)."""

    isize: int = 32
    nc: int = 1
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    extra_layers: int = 0
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    adam_eps: float = 1e-8
    w_adv: float = 1.0
    w_con: float = 50.0
    w_enc: float = 1.0
    d_reset_threshold: float = 1e-5
    score_variant: str = "l2"  # 'l2' (code: mean (z - z_hat)^2) or 'l1' (paper: sum |z - z_hat|)
    seed: int = 0


BNState = List[Tuple[nn.BatchNorm2d, Tensor, Tensor, Tensor, Optional[float]]]


def bn_layers(module: nn.Module) -> List[nn.BatchNorm2d]:
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


def bn_snapshot(module: nn.Module) -> BNState:
    """Copies every BatchNorm layer's running statistics (and momentum)."""
    return [
        (m, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone(), m.momentum)
        for m in bn_layers(module)
    ]


def bn_restore(state: BNState) -> None:
    """Writes a ``bn_snapshot`` back."""
    with torch.no_grad():
        for m, mean, var, nbt, momentum in state:
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(nbt)
            m.momentum = momentum


class AdversarialModel:
    """What the two PyTorch models here share (GANomaly below, skip_ganomaly.py's Skip-GANomaly):
    a generator ``netg`` and a discriminator ``netd`` with their Adam optimisers, the training
    iteration and epoch loop around a subclass's ``generator_loss`` and ``discriminator_loss``,
    D's re-initialisation, and the BatchNorm bookkeeping of scoring. A subclass sets ``cfg`` (lr,
    beta1, beta2, adam_eps, d_reset_threshold, seed), ``device``, ``netg`` and ``netd``, then calls
    ``_init_training``."""

    cfg: Any  # this file's Config, or skip_ganomaly.py's
    device: torch.device
    netg: nn.Module
    netd: nn.Module

    def _init_training(self, init: Callable[[nn.Module], None]) -> None:
        """Initialises G, then D, with ``init`` (also D's re-initialisation) and makes the Adam
        optimisers."""
        cfg = self.cfg
        self._init = init
        self.netg.apply(init)
        self.netd.apply(init)
        betas = (cfg.beta1, cfg.beta2)
        self.optg = torch.optim.Adam(self.netg.parameters(), lr=cfg.lr, betas=betas, eps=cfg.adam_eps)
        self.optd = torch.optim.Adam(self.netd.parameters(), lr=cfg.lr, betas=betas, eps=cfg.adam_eps)
        self.d_resets = 0
        # The running averages left by training, kept while population statistics are in the layers.
        self._running: Optional[BNState] = None

    # -- training ------------------------------------------------------------------------------

    def generator_loss(self, x: Tensor) -> Tuple[Tensor, Dict[str, Tensor], Tensor]:
        """G's loss on the batch ``x``: (loss, its named terms, the reconstruction x_hat)."""
        raise NotImplementedError

    def discriminator_loss(self, x: Tensor, fake: Tensor) -> Tensor:
        """D's loss on the real batch ``x`` and the detached reconstruction ``fake``."""
        raise NotImplementedError

    def train_step(self, x: Tensor) -> Dict[str, float]:
        """One iteration on a batch in [-1, 1]: generator step, then discriminator step; D is
        re-initialised when its loss falls below ``d_reset_threshold``. Returns the losses "g",
        "d" and the generator's terms."""
        self.use_running_stats()
        self.netg.train()
        self.netd.train()

        # Generator step. D's parameters are frozen for it (the authors' code computes and then
        # discards their gradients; the result is the same).
        self.netd.requires_grad_(False)
        loss_g, terms, x_hat = self.generator_loss(x)
        self.optg.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optg.step()
        self.netd.requires_grad_(True)

        # Discriminator step on the reconstruction made before G's update, detached.
        loss_d = self.discriminator_loss(x, x_hat.detach())
        self.optd.zero_grad(set_to_none=True)
        loss_d.backward()
        self.optd.step()

        d = loss_d.item()
        if d < self.cfg.d_reset_threshold:
            self.netd.apply(self._init)
            self.d_resets += 1
        return {"g": loss_g.item(), "d": d, **{k: v.item() for k, v in terms.items()}}

    def train_epoch(self, images: Tensor, batch_size: int, epoch: int) -> Dict[str, float]:
        """One epoch over ``images`` (CPU float tensor [n, nc, s, s] in [-1, 1]), shuffled with a
        seed derived from (seed, epoch); the last incomplete batch is dropped when n >= batch_size
        (the authors' ``drop_last=True``)."""
        n = images.shape[0]
        if n < 2:
            raise ValueError("training needs at least 2 images (BatchNorm normalises over the batch)")
        bs = min(batch_size, n)
        gen = torch.Generator().manual_seed(self.cfg.seed * 100_003 + epoch)
        order = torch.randperm(n, generator=gen)
        stop = (n // bs) * bs if n >= batch_size else n
        sums: Dict[str, float] = {}
        steps = 0
        resets_before = self.d_resets
        for start in range(0, stop, bs):
            x = images[order[start : start + bs]].to(self.device, non_blocking=True)
            losses = self.train_step(x)
            if not all(math.isfinite(v) for v in losses.values()):
                raise FloatingPointError(f"training diverged at epoch {epoch}: losses {losses}")
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v
            steps += 1
        out = {k: v / steps for k, v in sums.items()}
        out["d_resets"] = self.d_resets - resets_before
        return out

    # -- BatchNorm statistics ------------------------------------------------------------------

    def use_running_stats(self) -> None:
        """Puts the running averages back if population statistics replaced them (training and
        'running' scoring continue from the running averages, as in the TypeScript library)."""
        if self._running is not None:
            bn_restore(self._running)
            self._running = None

    @torch.no_grad()
    def _population_stats(self, nets: nn.Module, forward: Callable[[Tensor], object], images: Tensor,
                          batch_size: int, method: str) -> None:
        """Recomputes every BatchNorm layer of ``nets`` while ``forward`` runs on ``images`` in one
        unshuffled train-mode pass, then leaves the statistics in the layers and ``nets`` in eval
        mode; the running averages are kept aside for ``use_running_stats``. method 'exact':
        ``exact_population``; 'cumulative': PyTorch's idiom (reset running stats, momentum=None)."""
        if method not in ("exact", "cumulative"):
            raise ValueError(f"unknown population method {method!r}")
        self.use_running_stats()
        self._running = bn_snapshot(nets)
        layers = bn_layers(nets)
        nets.train()

        def run() -> None:
            for start in range(0, images.shape[0], batch_size):
                forward(images[start : start + batch_size].to(self.device))

        if method == "cumulative":
            for m in layers:
                m.reset_running_stats()
                m.momentum = None
            run()
            for m, *_rest, momentum in self._running:
                m.momentum = momentum
        else:
            exact_population(layers, run)
        nets.eval()

    @contextlib.contextmanager
    def _scoring(self, nets: nn.Module, bn_mode: str) -> Iterator[None]:
        """The BatchNorm mode of a scoring pass through ``nets``: 'population' needs
        ``recompute_population_stats`` first; 'running' uses the running averages of training;
        'batch' normalises with the statistics of each scoring batch (the original code) and
        restores the running statistics afterwards. ``nets`` are left in eval mode."""
        if bn_mode == "population":
            if self._running is None:
                raise RuntimeError("bn_mode 'population': call recompute_population_stats(train_images) first")
            restore: Optional[BNState] = None
        elif bn_mode == "running":
            self.use_running_stats()
            restore = None
        elif bn_mode == "batch":
            restore = bn_snapshot(nets)
        else:
            raise ValueError(f"unknown bn_mode {bn_mode!r}; expected one of {BN_MODES}")
        nets.train(bn_mode == "batch")
        try:
            yield
        finally:
            if restore is not None:
                bn_restore(restore)
            nets.eval()


class Ganomaly(AdversarialModel):
    """GANomaly: generator (G_E, G_D, E), discriminator D and their Adam optimisers."""

    def __init__(self, cfg: Config, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device
        torch.manual_seed(cfg.seed)
        self.netg = Generator(cfg.isize, cfg.nz, cfg.nc, cfg.ngf, cfg.extra_layers).to(device)
        self.netd = Discriminator(cfg.isize, cfg.nc, cfg.ndf, cfg.extra_layers).to(device)
        self._init_training(weights_init)

    # -- training ------------------------------------------------------------------------------

    def generator_loss(self, x: Tensor) -> Tuple[Tensor, Dict[str, Tensor], Tensor]:
        """w_adv * L_adv + w_con * L_con + w_enc * L_enc (terms "adv", "con", "enc")."""
        cfg = self.cfg
        z, x_hat, z_hat = self.netg(x)
        _, feat_real = self.netd(x)
        _, feat_fake = self.netd(x_hat)
        l_adv = F.mse_loss(feat_fake, feat_real)
        l_con = F.l1_loss(x_hat, x)
        l_enc = F.mse_loss(z_hat, z)
        loss_g = cfg.w_adv * l_adv + cfg.w_con * l_con + cfg.w_enc * l_enc
        return loss_g, {"adv": l_adv, "con": l_con, "enc": l_enc}, x_hat

    def discriminator_loss(self, x: Tensor, fake: Tensor) -> Tensor:
        """0.5 * (BCE(D(x), 1) + BCE(D(x_hat), 0))."""
        pred_real, _ = self.netd(x)
        pred_fake, _ = self.netd(fake)
        return 0.5 * (
            F.binary_cross_entropy(pred_real, torch.ones_like(pred_real))
            + F.binary_cross_entropy(pred_fake, torch.zeros_like(pred_fake))
        )

    # -- BatchNorm statistics ------------------------------------------------------------------

    @torch.no_grad()
    def recompute_population_stats(self, images: Tensor, batch_size: int = 64, method: str = "exact") -> None:
        """Recomputes every BatchNorm layer of the generator chain over ``images`` (the training set)
        in one unshuffled train-mode pass, then leaves the statistics in the layers (eval mode uses
        them). The running averages are kept aside and restored by ``use_running_stats``.

        method 'exact' (default, as the TypeScript library): accumulate, in float64, each layer's
        per-channel sum and sum of squares of its input over all pixels of all images; mean = S1/N,
        variance = S2/N - mean^2 (biased, the variance train mode normalises with).
        method 'cumulative': PyTorch's idiom, reset running stats and set momentum=None (cumulative
        average of the per-batch mean and unbiased per-batch variance). Equal to 'exact' for the mean
        when all batches have the same size; its variance omits the between-batch spread.
        """
        self._population_stats(self.netg, self.netg, images, batch_size, method)

    @torch.no_grad()
    def recompute_discriminator_stats(self, images: Tensor, batch_size: int = 64) -> BNState:
        """Exact population statistics of D's BatchNorm layers over real ``images`` (the training
        set), as ``recompute_population_stats`` does for G; returns the snapshot that puts D's own
        statistics back (training keeps D in train mode, so they only matter to scoring)."""
        restore = bn_snapshot(self.netd)
        self.netd.train()
        exact_bn_statistics(self.netd, images, batch_size, self.device)
        self.netd.eval()
        return restore

    @torch.no_grad()
    def score_components(self, images: Tensor, batch_size: int = 256) -> Dict[str, np.ndarray]:
        """The score variants' components, one value per image, in population BatchNorm mode (G
        with ``recompute_population_stats`` done, D with ``recompute_discriminator_stats``):
        latent = mean (z - z_hat)^2, latent_l1 = sum |z - z_hat|, reconstruction = mean |x - x_hat|,
        reconstruction_l2 = mean (x - x_hat)^2, features = mean (f(x) - f(x_hat))^2 on D's feature map."""
        if self._running is None:
            raise RuntimeError("score_components: call recompute_population_stats(train_images) first")
        self.netg.eval()
        self.netd.eval()
        out: Dict[str, List[Tensor]] = {k: [] for k in ("latent", "latent_l1", "reconstruction", "reconstruction_l2", "features")}
        for start in range(0, images.shape[0], batch_size):
            x = images[start : start + batch_size].to(self.device)
            z, x_hat, z_hat = self.netg(x)
            dz = (z - z_hat).flatten(1)
            dx = (x - x_hat).flatten(1)
            _, f_real = self.netd(x)
            _, f_fake = self.netd(x_hat)
            df = (f_real - f_fake).flatten(1)
            out["latent"].append(dz.pow(2).mean(dim=1))
            out["latent_l1"].append(dz.abs().sum(dim=1))
            out["reconstruction"].append(dx.abs().mean(dim=1))
            out["reconstruction_l2"].append(dx.pow(2).mean(dim=1))
            out["features"].append(df.pow(2).mean(dim=1))
        return {k: torch.cat(v).double().cpu().numpy() for k, v in out.items()}

    # -- scoring -------------------------------------------------------------------------------

    def latent_score(self, z: Tensor, z_hat: Tensor) -> Tensor:
        d = (z - z_hat).flatten(1)
        if self.cfg.score_variant == "l1":
            return d.abs().sum(dim=1)
        return d.pow(2).mean(dim=1)

    @torch.no_grad()
    def score(self, images: Tensor, bn_mode: str = "population", batch_size: int = 256) -> np.ndarray:
        """Anomaly scores, one per image. bn_mode 'population' needs ``recompute_population_stats``
        first; 'running' uses the running averages of training; 'batch' normalises with the
        statistics of each scoring batch (the original code) and restores the running statistics."""
        out = []
        with self._scoring(self.netg, bn_mode):
            for start in range(0, images.shape[0], batch_size):
                z, _, z_hat = self.netg(images[start : start + batch_size].to(self.device))
                out.append(self.latent_score(z, z_hat).double().cpu())
        return torch.cat(out).numpy()


# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given the average of the ranks they span."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    i = 0
    n = len(values)
    while i < n:
        j = i
        while j + 1 < n and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def auroc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve (label 1 = anomaly = higher score expected), via the Mann-Whitney
    U statistic with average ranks for ties. NaN if a class is missing or a score is not finite."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0 or not np.all(np.isfinite(s)):
        return float("nan")
    r = average_ranks(s)
    return float((r[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


# ----------------------------------------------------------------------------------------------
# Data: MNIST IDX, CIFAR-10 binary, the authors' leave-one-class-out split
# ----------------------------------------------------------------------------------------------


def default_data_dir() -> Path:
    """shared/data next to the repository (``<repo>/../shared/data``), or ``<repo>/shared/data``."""
    repo = Path(__file__).resolve().parents[2]
    candidates = [repo.parent / "shared" / "data", repo / "shared" / "data"]
    env = os.environ.get("GANOMALY_DATA_DIR")
    if env:
        candidates.insert(0, Path(env))
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    return candidates[0]


def _open_maybe_gz(path: Path):
    if path.exists():
        return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    alt = path.with_suffix("") if path.suffix == ".gz" else Path(str(path) + ".gz")
    if alt.exists():
        return _open_maybe_gz(alt)
    raise FileNotFoundError(f"{path} (nor {alt}) not found")


def read_idx(path: Path) -> np.ndarray:
    """Reads an IDX file (gzip or plain): magic 2049 = labels [n], 2051 = images [n, rows, cols]."""
    with _open_maybe_gz(path) as f:
        data = f.read()
    magic, count = struct.unpack(">ii", data[:8])
    if magic == 2049:
        arr = np.frombuffer(data, dtype=np.uint8, offset=8)
        shape: Tuple[int, ...] = (count,)
    elif magic == 2051:
        rows, cols = struct.unpack(">ii", data[8:16])
        arr = np.frombuffer(data, dtype=np.uint8, offset=16)
        shape = (count, rows, cols)
    else:
        raise ValueError(f"{path}: not an IDX file (magic {magic})")
    if arr.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {np.prod(shape)} values, found {arr.size}")
    return arr.reshape(shape)


def load_mnist(data_dir: Path) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as uint8 [n, 1, 28, 28] images and labels, train then test."""
    d = data_dir / "mnist"
    xtr = read_idx(d / "train-images-idx3-ubyte.gz")[:, None]
    ytr = read_idx(d / "train-labels-idx1-ubyte.gz")
    xte = read_idx(d / "t10k-images-idx3-ubyte.gz")[:, None]
    yte = read_idx(d / "t10k-labels-idx1-ubyte.gz")
    return xtr, ytr, xte, yte


def read_cifar_bin(paths: Sequence[Path]) -> Tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 binary records (1 label byte + 3x1024 bytes R, G, B planes) -> uint8 [n, 3, 32, 32]."""
    if not paths:
        raise FileNotFoundError("no CIFAR-10 .bin files found")
    raw = b"".join(p.read_bytes() for p in paths)
    if len(raw) % 3073:
        raise ValueError(f"CIFAR-10 files {paths}: size {len(raw)} is not a multiple of 3073")
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
    return rec[:, 1:].reshape(-1, 3, 32, 32), rec[:, 0].copy()


def load_cifar10(data_dir: Path) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The CIFAR-10 files in <data_dir>/cifar10: data_batch_*.bin (train), test_batch*.bin (test)."""
    d = data_dir / "cifar10"
    xtr, ytr = read_cifar_bin(sorted(d.glob("data_batch*.bin")))
    xte, yte = read_cifar_bin(sorted(d.glob("test_batch*.bin")))
    return xtr, ytr, xte, yte


@dataclass
class Split:
    train_idx: np.ndarray  # indices into the pooled (train ++ test) arrays
    test_idx: np.ndarray
    test_labels: np.ndarray  # 1 = anomaly, 0 = normal
    counts: Dict[str, int] = field(default_factory=dict)


def leave_one_class_out(
    labels: np.ndarray,
    anomaly_class: int,
    seed: int,
    max_train: Optional[int] = None,
    max_test_normal: Optional[int] = None,
    max_test_anomalous: Optional[int] = None,
    train_fraction: float = 0.8,
) -> Split:
    """The authors' seeded protocol on pooled labels (train then test, in file order): the normal
    images are shuffled with ``np.random.seed(seed); np.random.shuffle(idx)``; the first
    ``int(0.8 * len)`` train, the rest are the normal test images; every anomalous image joins the
    test set. Caps take the first N after the shuffle; a cap on the anomalous images continues the
    same numpy stream (shuffle of the anomaly positions, first N, back in original order), as the
    TypeScript ``leaveOneClassOut`` does."""
    normal = np.flatnonzero(labels != anomaly_class)
    anomalous = np.flatnonzero(labels == anomaly_class)
    if len(anomalous) == 0 or len(normal) == 0:
        raise ValueError(f"anomaly class {anomaly_class} leaves no anomalous or no normal images")
    idx = np.arange(len(normal))
    np.random.seed(seed)
    np.random.shuffle(idx)
    n_train = int(len(idx) * train_fraction)
    train_pos = idx[: n_train if max_train is None else min(n_train, max_train)]
    rest = idx[n_train:]
    test_pos = rest if max_test_normal is None else rest[:max_test_normal]
    pick = anomalous
    if max_test_anomalous is not None and max_test_anomalous < len(anomalous):
        pos = np.arange(len(anomalous))
        np.random.shuffle(pos)
        pick = anomalous[np.sort(pos[:max_test_anomalous])]
    test_idx = np.concatenate([normal[test_pos], pick])
    test_labels = np.concatenate([np.zeros(len(test_pos), np.int64), np.ones(len(pick), np.int64)])
    counts = {
        "normal_pool": int(len(normal)),
        "anomaly_pool": int(len(anomalous)),
        "train": int(len(train_pos)),
        "test_normal": int(len(test_pos)),
        "test_anomalous": int(len(pick)),
    }
    return Split(normal[train_pos], test_idx, test_labels, counts)


def to_input(images: np.ndarray, isize: int) -> Tensor:
    """uint8 [n, c, h, w] -> float32 [n, c, isize, isize] in [-1, 1]: bilinear resize with half-pixel
    centres (align_corners=False, no antialias) when h, w != isize, then x / 127.5 - 1, clipped."""
    x = torch.from_numpy(np.require(images, np.uint8, ["C", "W"])).float()
    if x.shape[-2:] != (isize, isize):
        x = F.interpolate(x, size=(isize, isize), mode="bilinear", align_corners=False, antialias=False)
    return (x / 127.5 - 1.0).clamp_(-1.0, 1.0).contiguous()


# ----------------------------------------------------------------------------------------------
# Command-line modes
# ----------------------------------------------------------------------------------------------


def _finite_or_none(v: float) -> Optional[float]:
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def _setup(args: argparse.Namespace) -> torch.device:
    threads = args.threads
    if not threads:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but CUDA is not available")
    return device


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _config_from_args(args: argparse.Namespace, nc: int) -> Config:
    return Config(
        isize=args.isize,
        nc=nc,
        nz=args.nz,
        ngf=args.ngf,
        ndf=args.ndf or args.ngf,
        extra_layers=args.extra_layers,
        lr=args.lr,
        score_variant=args.score_variant,
        seed=args.seed,
    )


def check_caps(args: argparse.Namespace) -> None:
    """--max-train >= 1, --max-test-normal and --max-test-anomalous >= 0 where given."""
    for name in ("max_train", "max_test_normal", "max_test_anomalous"):
        v = getattr(args, name, None)
        if v is not None and v < (1 if name == "max_train" else 0):
            raise SystemExit(f"--{name.replace('_', '-')} must be >= {1 if name == 'max_train' else 0}")


def data_dir_of(args: argparse.Namespace) -> Path:
    return Path(args.data_dir).resolve() if args.data_dir else default_data_dir()


def load_pooled(dataset: str, data_dir: Path) -> Tuple[np.ndarray, np.ndarray]:
    """The images and labels of ``dataset`` ('mnist' or 'cifar10'), train then test, pooled."""
    xtr, ytr, xte, yte = load_mnist(data_dir) if dataset == "mnist" else load_cifar10(data_dir)
    return np.concatenate([xtr, xte]), np.concatenate([ytr, yte])


@dataclass
class ProtocolEpochs:
    """What ``protocol_epochs`` returns."""

    per_epoch_auroc: List[Optional[float]]
    history: List[Dict]
    train_seconds: float
    final: Dict[str, object]  # the last epoch's evaluate() results, every BatchNorm mode
    final_auroc: Dict[str, float]  # their AUROCs
    started: float  # time.perf_counter() before the first epoch


def protocol_epochs(args: argparse.Namespace, model: AdversarialModel, device: torch.device, train_x: Tensor,
                    evaluate: Callable[[Sequence[str], int], Dict[str, object]],
                    auroc_of: Callable[[object], float] = lambda r: r) -> ProtocolEpochs:
    """The protocol's epochs (this file's and skip_ganomaly.py's): ``model.train_epoch`` on
    ``train_x``, then ``evaluate(modes, epoch)`` -> {mode: result}, whose AUROC is
    ``auroc_of(result)``, in the --bn-mode (every BatchNorm mode after the last epoch; population
    too with --components), then the running averages put back; one JSON line per epoch on stderr."""
    per_epoch: List[Optional[float]] = []
    history: List[Dict] = []
    train_seconds = 0.0
    started = time.perf_counter()
    final: Dict[str, object] = {}
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        logs = model.train_epoch(train_x, args.batch, epoch)
        _sync(device)
        sec = time.perf_counter() - t0
        train_seconds += sec
        last = epoch == args.epochs
        res = evaluate(BN_MODES if last else sorted({args.bn_mode, "population"} if args.components else {args.bn_mode}), epoch)
        model.use_running_stats()
        if last:
            final = res
        per_epoch.append(_finite_or_none(auroc_of(res[args.bn_mode])))
        history.append({"epoch": epoch, "seconds": sec, "auroc": per_epoch[-1], **logs})
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
    return ProtocolEpochs(per_epoch, history, train_seconds, final, {m: auroc_of(r) for m, r in final.items()}, started)


def protocol_record(args: argparse.Namespace, cfg: object, device: torch.device, data_dir: Path, run: ProtocolEpochs,
                    body: Dict, head: Optional[Dict] = None, config_extra: Optional[Dict] = None) -> Dict:
    """The protocol's JSON object: "system", ``head``, the run's fields, ``body`` (a model's own
    fields), then "config" (``cfg``'s fields, the run's flags, ``config_extra``, the runtime)."""
    return {
        "system": "pytorch",
        **(head or {}),
        "dataset": args.dataset,
        "anomaly_class": args.anomaly_class,
        "seed": args.seed,
        "epochs": args.epochs,
        "per_epoch_auroc": run.per_epoch_auroc,
        "auroc": run.per_epoch_auroc[-1] if run.per_epoch_auroc else None,
        "auroc_by_bn_mode": {m: _finite_or_none(run.final_auroc.get(m, float("nan"))) for m in BN_MODES},
        "train_seconds": run.train_seconds,
        "total_seconds": time.perf_counter() - run.started,
        "history": run.history,
        **body,
        "config": {
            **asdict(cfg),
            "bn_mode": args.bn_mode,
            "population_method": args.population_method,
            "batch": args.batch,
            "score_batch": args.score_batch,
            "max_train": args.max_train,
            "max_test_normal": args.max_test_normal,
            "max_test_anomalous": args.max_test_anomalous,
            **(config_extra or {}),
            "data_dir": str(data_dir),
            "device": device.type,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
        },
    }


def run_or_serve(run: Callable[[List[str]], Dict], argv: Sequence[str]) -> None:
    """For the wrappers that experiments/run.mjs drives (experiments/pytorch_protocol.py,
    skip_ganomaly.py): ``argv`` = ["serve"] reads one JSON array of arguments per stdin line and
    answers each with one line {"ok": run(arguments)} or {"error": message} on stdout (stderr
    carries the per-epoch progress); other ``argv``: one run, its JSON on stdout."""
    if list(argv[:1]) != ["serve"]:
        print(json.dumps(run(list(argv))))
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = {"ok": run(json.loads(line))}
        except SystemExit as e:
            out = {"error": f"exit {e.code}"}
        except Exception as e:  # noqa: BLE001 - reported to the harness, which stops the sweep
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024


def cmd_bench(args: argparse.Namespace) -> Dict:
    """Throughput on synthetic input: training (G + D step) and eval-mode scoring."""
    device = _setup(args)
    cfg = _config_from_args(args, args.nc)
    model = Ganomaly(cfg, device)
    gen = torch.Generator().manual_seed(args.seed)
    x = (torch.rand(args.batch, args.nc, args.isize, args.isize, generator=gen) * 2 - 1).to(device)
    xs = (torch.rand(args.score_batch, args.nc, args.isize, args.isize, generator=gen) * 2 - 1).to(device)

    for _ in range(args.warmup):
        model.train_step(x)
    _sync(device)
    runs: List[Dict] = []
    step_ms: List[float] = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        for _ in range(args.iters):
            t = time.perf_counter()
            model.train_step(x)  # .item() on the losses synchronises every step
            step_ms.append((time.perf_counter() - t) * 1000)
        _sync(device)
        sec = time.perf_counter() - t0
        runs.append({"train_seconds": sec, "train_img_per_s": args.batch * args.iters / sec})

    model.netg.eval()
    score_iters = args.score_iters or args.iters

    def score_batch() -> None:
        z, _, z_hat = model.netg(xs)
        model.latent_score(z, z_hat).cpu()  # copying the scores out synchronises

    with torch.no_grad():
        for _ in range(max(1, args.warmup)):
            score_batch()
        for r in runs:
            t0 = time.perf_counter()
            for _ in range(score_iters):
                score_batch()
            sec = time.perf_counter() - t0
            r.update({"score_seconds": sec, "score_img_per_s": args.score_batch * score_iters / sec})

    return {
        "system": "pytorch",
        "backend": device.type,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "train_img_per_s": statistics.median(r["train_img_per_s"] for r in runs),
        "score_img_per_s": statistics.median(r["score_img_per_s"] for r in runs),
        "peak_rss_mb": peak_rss_mb(),
        "train_step_ms_median": statistics.median(step_ms),
        "runs": runs,
        "load_avg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "config": {
            "isize": args.isize, "nc": args.nc, "nz": args.nz, "ngf": cfg.ngf, "ndf": cfg.ndf,
            "batch": args.batch, "warmup": args.warmup, "iters": args.iters, "runs": args.runs,
            "score_batch": args.score_batch, "score_iters": score_iters, "seed": args.seed,
        },
    }


def cmd_protocol(args: argparse.Namespace) -> Dict:
    """The authors' leave-one-class-out protocol; AUROC after every epoch."""
    device = _setup(args)
    data_dir = data_dir_of(args)
    images, labels = load_pooled(args.dataset, data_dir)
    n_val = args.val_normal or 0
    if n_val and args.max_train is None:
        raise SystemExit("--val-normal needs --max-train (the held-out images follow the training prefix)")
    split = leave_one_class_out(
        labels, args.anomaly_class, args.seed, None if args.max_train is None else args.max_train + n_val,
        args.max_test_normal, args.max_test_anomalous
    )
    # The seeded training order is a prefix: the first max_train images train (as without
    # --val-normal), the next n_val are held out (as experiments/run.mjs does for the library).
    val_idx = split.train_idx[args.max_train :] if n_val else split.train_idx[:0]
    if n_val:
        split = dataclasses.replace(split, train_idx=split.train_idx[: args.max_train], counts={**split.counts, "train": int(args.max_train), "val_normal": int(len(val_idx))})
    train_x = to_input(images[split.train_idx], args.isize)
    val_x = to_input(images[val_idx], args.isize) if n_val else None
    test_x = to_input(images[split.test_idx], args.isize)
    cfg = _config_from_args(args, images.shape[1])
    model = Ganomaly(cfg, device)

    def evaluate(modes: Sequence[str], epoch: int) -> Dict[str, float]:
        out = {}
        for mode in modes:
            if mode == "population":
                model.recompute_population_stats(train_x, args.batch, args.population_method)
            out[mode] = auroc(model.score(test_x, mode, args.score_batch), split.test_labels)
            if mode == "population" and args.components:
                # G's population statistics are in place; D's are recomputed here, then put back.
                restore_d = model.recompute_discriminator_stats(train_x, args.batch)
                entry = {"epoch": epoch, "test": {k: v.tolist() for k, v in model.score_components(test_x, args.score_batch).items()}}
                if val_x is not None:
                    entry["val_normal"] = {k: v.tolist() for k, v in model.score_components(val_x, args.score_batch).items()}
                bn_restore(restore_d)
                components.append(entry)
        return out

    components: List[Dict] = []
    run = protocol_epochs(args, model, device, train_x, evaluate)
    body = {
        **({"components": components, "test_labels_components": [int(v) for v in split.test_labels]} if args.components else {}),
        "split": split.counts,
    }
    return protocol_record(args, cfg, device, data_dir, run, body)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)

    def common(sp: argparse.ArgumentParser, isize: int, ngf: int, nz: int) -> None:
        sp.add_argument("--isize", type=int, default=isize, help="image size (power of two >= 16)")
        sp.add_argument("--nz", type=int, default=nz, help="latent size")
        sp.add_argument("--ngf", type=int, default=ngf, help="base width of G (and of D unless --ndf)")
        sp.add_argument("--ndf", type=int, default=0, help="base width of D (0: = ngf)")
        sp.add_argument("--extra-layers", type=int, default=0, help="extra stride-1 Conv+BN layers")
        sp.add_argument("--batch", type=int, default=64, help="training batch size")
        sp.add_argument("--score-batch", type=int, default=256, help="scoring batch size")
        sp.add_argument("--lr", type=float, default=2e-4)
        sp.add_argument("--score-variant", choices=("l2", "l1"), default="l2")
        sp.add_argument("--seed", type=int, default=0)
        sp.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: all cores)")
        sp.add_argument("--device", default="cpu", help="cpu or cuda")

    b = sub.add_parser("bench", help="throughput on synthetic input", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    common(b, 32, 64, 100)
    b.add_argument("--nc", type=int, default=1, help="channels")
    b.add_argument("--warmup", type=int, default=3, help="untimed training steps first")
    b.add_argument("--iters", type=int, default=10, help="training steps per timed run")
    b.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    b.add_argument("--score-iters", type=int, default=0, help="scoring batches per timed run (0: = iters)")

    r = sub.add_parser("protocol", help="leave-one-class-out protocol (MNIST / CIFAR-10)", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    common(r, 32, 64, 100)
    r.add_argument("--dataset", choices=("mnist", "cifar10"), default="mnist")
    r.add_argument("--anomaly-class", type=int, default=1)
    r.add_argument("--epochs", type=int, default=15)
    r.add_argument("--data-dir", default=None, help="folder with mnist/ and cifar10/ (default: <repo>/../shared/data)")
    r.add_argument("--max-train", type=int, default=None)
    r.add_argument("--max-test-normal", type=int, default=None)
    r.add_argument("--max-test-anomalous", type=int, default=None)
    r.add_argument("--val-normal", type=int, default=0, help="hold out this many normal images after the --max-train prefix (for score calibration)")
    r.add_argument("--components", action="store_true", help="add every epoch's score components of the test (and held-out) images to the JSON")
    r.add_argument("--bn-mode", choices=BN_MODES, default="population", help="BatchNorm mode of per_epoch_auroc")
    r.add_argument("--population-method", choices=("exact", "cumulative"), default="exact",
                   help="exact pooled statistics (as the TS library) or PyTorch's momentum=None cumulative average")
    return p


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    check_caps(args)
    result = cmd_bench(args) if args.mode == "bench" else cmd_protocol(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
