#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node 4.22.0 without its downloading install script (which fetches
# libtensorflow and a prebuilt addon from Google's storage): the TensorFlow C library and headers
# come from the `tensorflow-cpu` Python wheel (pip, from whatever index pip is set up with), the
# addon is compiled against Node's own headers with npm's bundled node-gyp.
#
# It lives in .tfjs-node/ (ignored by git), outside node_modules: `npm ci` and `npm install` do not
# know it and leave it alone, and @ganomaly/backend-node finds it there (the nearest folder above
# it with .tfjs-node/node_modules/@tensorflow/tfjs-node). The @tensorflow packages the root's
# node_modules already has at the same version are removed from .tfjs-node, so tfjs-node resolves
# the root's tfjs-core (one engine, one kernel registry).
#
# tfjs-node 4.22 was built for libtensorflow 2.9.1; it runs on 2.21's C API, which TensorFlow keeps
# stable. Idempotent: does nothing where tfjs-node already loads (installed with
# `npm install @tensorflow/tfjs-node`, or built here before), unless given --force. Where pip, g++,
# make or the wheel is missing it says so and exits 0: the `node` backend's tests then skip.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
say() { echo "setup:tfjs-node: $*"; }
skip() { say "skipped: $* (the node backend's tests will be skipped)"; exit 0; }
TFJS_NODE=4.22.0
TF_WHEEL=${TF_WHEEL:-tensorflow-cpu==2.21.0}
dir=.tfjs-node
pkg=$dir/node_modules/@tensorflow/tfjs-node
force=0
[ "${1:-}" = --force ] && force=1

probe='const tf = require(process.argv[1]); const b = tf.backend(); if (tf.getBackend() !== "tensorflow") throw new Error("backend is " + tf.getBackend()); const s = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).sum().dataSync()[0]; if (s !== 12) throw new Error("2x3 by 3x2 ones summed to " + s); console.log(require(process.argv[1] + "/package.json").version + " on libtensorflow " + (b.binding.TF_Version || "?"))'

if [ $force = 0 ]; then
  if v=$(node -e "$probe" @tensorflow/tfjs-node 2>/dev/null); then
    say "nothing to do: @tensorflow/tfjs-node is installed in node_modules and loads ($v)"
    exit 0
  fi
  if [ -f "$pkg/lib/napi-v8/tfjs_binding.node" ] && v=$(node -e "$probe" "$root/$pkg" 2>/dev/null); then
    say "nothing to do: $pkg is built and loads ($v)"
    exit 0
  fi
fi

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || skip "this script builds for Linux x86-64 only (here: $(uname -s)-$(uname -m)); use npm install @tensorflow/tfjs-node"
py=${PYTHON:-python3}
command -v "$py" >/dev/null || skip "no $py on PATH (it downloads the tensorflow-cpu wheel with pip)"
"$py" -m pip --version >/dev/null 2>&1 || skip "$py has no pip"
command -v g++ >/dev/null || skip "no g++ (Debian: apt-get install g++ make)"
command -v make >/dev/null || skip "no make (Debian: apt-get install make)"
[ -d /usr/include/node ] || [ -n "${NODEDIR:-}" ] || skip "no Node headers in /usr/include/node (set NODEDIR to a Node source or headers folder)"
nodedir=${NODEDIR:-/usr}
npmdir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
gyp=$npmdir/node_modules/node-gyp/bin/node-gyp.js
[ -f "$gyp" ] || skip "npm's bundled node-gyp is not at $gyp"

say "installing @tensorflow/tfjs-node@$TFJS_NODE into $dir without its install script"
mkdir -p "$dir"
cat > "$dir/package.json" <<JSON
{
  "name": "ganomaly-tfjs-node-build",
  "private": true,
  "description": "Made by tools/setup-tfjs-node.sh (npm run setup:tfjs-node): tfjs-node built from the tensorflow-cpu wheel's C library",
  "dependencies": { "@tensorflow/tfjs-node": "$TFJS_NODE" }
}
JSON
(cd "$dir" && npm install --ignore-scripts --no-package-lock --no-audit --no-fund --loglevel=error) || skip "npm could not install @tensorflow/tfjs-node@$TFJS_NODE"
# One copy of each @tensorflow package: those the root has at the same version resolve from there.
for d in "$dir"/node_modules/@tensorflow/*; do
  name=@tensorflow/$(basename "$d")
  [ "$name" = @tensorflow/tfjs-node ] && continue
  mine=$(node -p "require('./$d/package.json').version" 2>/dev/null)
  theirs=$(node -p "require('./node_modules/$name/package.json').version" 2>/dev/null) || continue
  [ "$mine" = "$theirs" ] && rm -rf "$d"
done

wheels=$dir/wheel
if ! ls "$wheels"/tensorflow_cpu-*.whl >/dev/null 2>&1; then
  say "downloading the $TF_WHEEL wheel (its C library and headers) with pip"
  mkdir -p "$wheels"
  # --retries 0: a machine whose default index is unreachable fails at once, not after back-offs.
  "$py" -m pip download --quiet --no-deps --retries 0 --disable-pip-version-check -d "$wheels" "$TF_WHEEL" ||
    skip "pip could not download $TF_WHEEL"
fi
whl=$(ls "$wheels"/tensorflow_cpu-*.whl | head -n 1)
say "taking libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C headers from $(basename "$whl")"
rm -rf "$pkg/deps" "$pkg/build" "$pkg/lib"
"$py" - "$whl" "$pkg/deps" <<'PY' || skip "could not unpack the wheel's C library"
import os, shutil, sys, zipfile
whl, deps = sys.argv[1], sys.argv[2]
inc = 'tensorflow/include/'
heads = ('tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/')
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'):
            dst = os.path.join(deps, 'lib', os.path.basename(n))
        elif n.startswith(inc) and n[len(inc):].startswith(heads) and not n.endswith('/'):
            dst = os.path.join(deps, 'include', n[len(inc):])
        else:
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(n) as src, open(dst, 'wb') as out:
            shutil.copyfileobj(src, out)
for lib in ('libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'):
    if not os.path.exists(os.path.join(deps, 'lib', lib)):
        sys.exit(f'{lib} is not in {whl}')
PY
ln -sf libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so"
ln -sf libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"

say "compiling the addon (node-gyp, Node headers from $nodedir)"
(cd "$pkg" && node "$gyp" configure build --loglevel=error -j "$(nproc 2>/dev/null || echo 2)" --nodedir="$nodedir" \
  --module_name=tfjs_binding --module_path="$PWD/lib/napi-v8" --napi_build_version=8 >/dev/null) ||
  skip "node-gyp could not build the tfjs-node addon"
rm -rf "$pkg/build/Release/obj.target"
v=$(node -e "$probe" "$root/$pkg") || skip "the built tfjs-node does not load"
rm -rf "$wheels"
say "built $pkg: tfjs-node $v; the node backend is ready (useBackend('node'), --backend node)"
