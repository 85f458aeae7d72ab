#!/usr/bin/env python3
"""Runs bench/pytorch/ganomaly.py's ``protocol`` mode unchanged, with two additions for the
experiment harness (experiments/run.mjs), made without editing that file:

* ``--w-adv --w-con --w-enc``: the generator's loss weights (the Config fields exist there but
  have no command-line flags);
* the JSON line also carries ``test_scores`` and ``test_labels`` of the last epoch in the chosen
  ``--bn-mode``, so run.mjs computes average precision, F1 at phi and EER with the same
  (@ganomaly/math) code for both implementations.

    /usr/bin/python3 experiments/pytorch_protocol.py protocol --dataset mnist --anomaly-class 1 --seed 0 [--w-con 50]
    /usr/bin/python3 experiments/pytorch_protocol.py serve   # one JSON argument list per stdin line (run.mjs)
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "bench" / "pytorch" / "ganomaly.py"


def load_module():
    spec = importlib.util.spec_from_file_location("ganomaly_bench", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["ganomaly_bench"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def make_runner(mod=None):
    """Loads ganomaly.py once (unless given it as ``mod``) and returns run(argv) -> result dict (the
    protocol's JSON plus the additions above). The loaded data sets are cached, so a sweep served by
    one process (``serve``) pays for the torch import and the data files once."""
    mod = mod or load_module()
    weights = {"w_adv": 1.0, "w_con": 50.0, "w_enc": 1.0}
    orig_config = mod._config_from_args
    mod._config_from_args = lambda args, nc: dataclasses.replace(orig_config(args, nc), **weights)
    calls = []
    orig_auroc = mod.auroc

    def auroc(scores, labels):
        calls.append((scores, labels))
        return orig_auroc(scores, labels)

    mod.auroc = auroc
    for name in ("load_mnist", "load_cifar10"):
        setattr(mod, name, functools.lru_cache(maxsize=2)(getattr(mod, name)))

    def run(argv):
        extra = argparse.ArgumentParser(add_help=False)
        extra.add_argument("--w-adv", type=float, default=1.0)
        extra.add_argument("--w-con", type=float, default=50.0)
        extra.add_argument("--w-enc", type=float, default=1.0)
        ns, rest = extra.parse_known_args(argv)
        weights.update(w_adv=ns.w_adv, w_con=ns.w_con, w_enc=ns.w_enc)
        args = mod.build_parser().parse_args(rest)
        if args.mode != "protocol":
            raise SystemExit("only the protocol mode is wrapped")
        mod.check_caps(args)
        calls.clear()
        result = mod.cmd_protocol(args)
        # The last epoch scores every BatchNorm mode, in BN_MODES order.
        final = calls[-len(mod.BN_MODES):]
        scores, labels = final[mod.BN_MODES.index(args.bn_mode)]
        result["test_scores"] = [float(v) for v in scores]
        result["test_labels"] = [int(v) for v in labels]
        return result

    return run


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    mod = load_module()
    # serve: one JSON array of arguments per stdin line -> one result line on stdout
    # ({"ok": result} or {"error": message}); stderr carries the per-epoch progress as before.
    mod.run_or_serve(make_runner(mod), argv)


if __name__ == "__main__":
    main()
