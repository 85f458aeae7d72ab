#!/usr/bin/env bash
# Prepares what the GPU device check (h200.sh) needs on a machine without Node or network:
# .device/ in the repository root (git-ignored; name it in the device tool's `carry`), holding
#   node.xz        this machine's node binary, xz-compressed
#   gl/*.deb       Vulkan/EGL loader packages (amd64) to unpack there
#   app/           the built @ganomaly packages and a slim node_modules (tfjs node bundles, Dawn)
#   bench/         js-bench.mjs and the PyTorch reference
# Run from the repository root after `npm install`: bash bench/device/pack.sh
set -euo pipefail
root=$(pwd)
dest=$root/.device
rm -rf "$dest" && mkdir -p "$dest/gl" "$dest/app/node_modules/@tensorflow" "$dest/app/node_modules/@ganomaly" "$dest/bench/pytorch"
grep -qxs '/.device/' .git/info/exclude || echo '/.device/' >> .git/info/exclude

xz -T2 -6 -c "$(command -v node)" > "$dest/node.xz"

o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64-lists'
mkdir -p /tmp/amd64-lists/partial
apt-get $o update -qq
(cd "$dest/gl" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)

nm=$root/node_modules
# tfjs: package.json and the node bundle (plus the wasm binaries) only.
for p in tfjs-core:tf-core.node.js tfjs-layers:tf-layers.node.js tfjs-backend-cpu:tf-backend-cpu.node.js \
         tfjs-backend-webgpu:tf-backend-webgpu.node.js tfjs-backend-wasm:tf-backend-wasm.node.js; do
  name=${p%%:*}; file=${p#*:}
  mkdir -p "$dest/app/node_modules/@tensorflow/$name/dist"
  cp "$nm/@tensorflow/$name/package.json" "$dest/app/node_modules/@tensorflow/$name/"
  cp "$nm/@tensorflow/$name/dist/$file" "$dest/app/node_modules/@tensorflow/$name/dist/"
done
cp "$nm"/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$dest/app/node_modules/@tensorflow/tfjs-backend-wasm/dist/"
# Small dependencies, whole.
for p in seedrandom node-fetch whatwg-url tr46 webidl-conversions fflate; do cp -r "$nm/$p" "$dest/app/node_modules/"; done
# Dawn for Node: the Linux x64 binary only.
mkdir -p "$dest/app/node_modules/webgpu/dist/linux-x64"
cp "$nm/webgpu/package.json" "$nm/webgpu/index.js" "$dest/app/node_modules/webgpu/"
xz -T2 -6 -c "$nm/webgpu/dist/linux-x64/dawn.node" > "$dest/app/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
# This library, built.
for d in "$root"/packages/*/; do
  name=$(basename "$d")
  mkdir -p "$dest/app/node_modules/@ganomaly/$name"
  cp "$d/package.json" "$dest/app/node_modules/@ganomaly/$name/"
  cp -r "$d/dist" "$dest/app/node_modules/@ganomaly/$name/"
  rm -f "$dest/app/node_modules/@ganomaly/$name/dist/"*.map "$dest/app/node_modules/@ganomaly/$name/dist/.tsbuildinfo"
done
cp "$root/bench/js-bench.mjs" "$dest/app/"
cp "$root/bench/pytorch/ganomaly.py" "$dest/bench/pytorch/"
du -sh "$dest"
