#!/usr/bin/env python3
"""The GANomaly training step written directly in TensorFlow (Python), eager and as a compiled
graph (tf.function), timed beside PyTorch's step: a diagnostic for issue #13's training gap.

tfjs-node runs TensorFlow's own C kernels op by op (eager). This script asks what the same kernels
reach when TensorFlow runs the same step as a graph (fused Adam, no per-op dispatch from
JavaScript, Grappler's rewrites), so the gap between the library and PyTorch can be split into the
part eager dispatch costs and the part TensorFlow's kernels cost.

Same step as bench/pytorch/ganomaly.py's: batch 64, 32x32x1, nz 100, widths 64, DCGAN encoder /
decoder / encoder / discriminator with BatchNorm in train mode, L_adv (feature matching) + 50 L1 +
L_enc for G, BCE for D on x and the detached reconstruction, Adam (2e-4, 0.5, 0.999) for each.

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0
    TF_NUM_INTRAOP_THREADS=2 TF_NUM_INTEROP_THREADS=1 /tmp/tfvenv/bin/python bench/tf-step.py --threads 2

Prints one JSON line: img/s of the eager and the graph step (median of --repeats timed blocks).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import tensorflow as tf

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--width", type=int, default=64)
p.add_argument("--latent", type=int, default=100)
p.add_argument("--steps", type=int, default=5, help="steps per timed block")
p.add_argument("--repeats", type=int, default=5)
p.add_argument("--modes", default="graph,eager", help="graph (tf.function), xla (jit_compile=True), eager")
a = p.parse_args()
tf.config.threading.set_intra_op_parallelism_threads(a.threads)
tf.config.threading.set_inter_op_parallelism_threads(1)
rng = np.random.default_rng(0)


def conv_w(k, cin, cout):
    return tf.Variable(rng.normal(0, 0.02, (k, k, cin, cout)).astype(np.float32))


class BN:
    def __init__(self, c):
        self.g = tf.Variable(rng.normal(1, 0.02, (c,)).astype(np.float32))
        self.b = tf.Variable(np.zeros((c,), np.float32))

    def __call__(self, x):
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(x, self.g, self.b, epsilon=1e-5, is_training=True)
        return y

    def vars(self):
        return [self.g, self.b]


class Encoder:
    """conv k4 s2 p1 (no BN) + LeakyReLU, then conv+BN+LeakyReLU to 4x4, then k4 s1 p0 to nz."""

    def __init__(self, nz, nc, ndf, isize=32):
        self.convs = [conv_w(4, nc, ndf)]
        self.bns = [None]
        c, s = ndf, isize // 2
        while s > 4:
            self.convs.append(conv_w(4, c, 2 * c))
            self.bns.append(BN(2 * c))
            c, s = 2 * c, s // 2
        self.final = conv_w(4, c, nz)

    def features(self, x):
        for w, bn in zip(self.convs, self.bns):
            x = tf.nn.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), w, 2, "VALID")
            if bn:
                x = bn(x)
            x = tf.nn.leaky_relu(x, 0.2)
        return x

    def __call__(self, x):
        return tf.nn.conv2d(self.features(x), self.final, 1, "VALID")

    def vars(self):
        return self.convs + [self.final] + [v for b in self.bns if b for v in b.vars()]


class Decoder:
    def __init__(self, nz, nc, ngf, isize=32):
        c, t = ngf // 2, 4
        while t != isize:
            c, t = c * 2, t * 2
        self.first = tf.Variable(rng.normal(0, 0.02, (4, 4, c, nz)).astype(np.float32))  # [k, k, out, in]
        self.bn0 = BN(c)
        self.ups, self.bns, s = [], [], 4
        while s < isize // 2:
            self.ups.append(tf.Variable(rng.normal(0, 0.02, (4, 4, c // 2, c)).astype(np.float32)))
            self.bns.append(BN(c // 2))
            c, s = c // 2, s * 2
        self.last = tf.Variable(rng.normal(0, 0.02, (4, 4, nc, c)).astype(np.float32))
        self.nc = nc

    def __call__(self, z):
        n = tf.shape(z)[0]
        x = tf.nn.conv2d_transpose(z, self.first, [n, 4, 4, self.first.shape[2]], 1, "VALID")
        x = tf.nn.relu(self.bn0(x))
        s = 4
        for w, bn in zip(self.ups, self.bns):
            s *= 2
            x = tf.nn.relu(bn(tf.nn.conv2d_transpose(x, w, [n, s, s, w.shape[2]], 2, "SAME")))
        return tf.tanh(tf.nn.conv2d_transpose(x, self.last, [n, 2 * s, 2 * s, self.nc], 2, "SAME"))

    def vars(self):
        return [self.first, self.last] + self.ups + self.bn0.vars() + [v for b in self.bns for v in b.vars()]


e1, dec, e2 = Encoder(a.latent, 1, a.width), Decoder(a.latent, 1, a.width), Encoder(a.latent, 1, a.width)
disc = Encoder(1, 1, a.width)
g_vars = e1.vars() + dec.vars() + e2.vars()
d_vars = disc.vars()
opt_g = tf.optimizers.Adam(2e-4, 0.5, 0.999, 1e-8)
opt_d = tf.optimizers.Adam(2e-4, 0.5, 0.999, 1e-8)
bce = lambda p, y: -tf.reduce_mean(y * tf.math.log(p + 1e-12) + (1 - y) * tf.math.log(1 - p + 1e-12))


def step(x):
    with tf.GradientTape() as tape:
        z = e1(x)
        xh = dec(z)
        zh = e2(xh)
        l_adv = tf.reduce_mean(tf.square(disc.features(x) - disc.features(xh)))
        l_con = tf.reduce_mean(tf.abs(x - xh))
        l_enc = tf.reduce_mean(tf.square(z - zh))
        lg = l_adv + 50 * l_con + l_enc
    opt_g.apply_gradients(zip(tape.gradient(lg, g_vars), g_vars))
    xd = tf.stop_gradient(xh)
    with tf.GradientTape() as tape:
        pr = tf.sigmoid(disc(x))
        pf = tf.sigmoid(disc(xd))
        ld = 0.5 * (bce(pr, 1.0) + bce(pf, 0.0))
    opt_d.apply_gradients(zip(tape.gradient(ld, d_vars), d_vars))
    return lg, ld


x = tf.constant(rng.uniform(-1, 1, (a.batch, 32, 32, 1)).astype(np.float32))
out = {"tensorflow": tf.__version__, "threads": a.threads, "batch": a.batch, "width": a.width}
for mode in a.modes.split(","):
    fn = {"graph": lambda: tf.function(step), "xla": lambda: tf.function(step, jit_compile=True), "eager": lambda: step}[mode]()
    for _ in range(2):
        fn(x)[0].numpy()
    rates = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        for _ in range(a.steps):
            r = fn(x)
        r[0].numpy()
        rates.append(a.batch * a.steps / (time.perf_counter() - t))
    out[f"{mode}_train_img_s"] = round(statistics.median(rates), 1)
    out[f"{mode}_rates"] = [round(v, 1) for v in rates]
print(json.dumps(out))
