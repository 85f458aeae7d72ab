#!/usr/bin/env bash
# The GPU device check: training and scoring throughput at batch 64 and 512 (32x32x1, nz 100,
# widths 64) of @ganomaly on WebGPU (Dawn on the NVIDIA Vulkan driver) and of the PyTorch
# GANomaly on CUDA, on the same GPU. Prepare with `bash bench/device/pack.sh`, then run through
# the device tool with carry ['.device'] and the command `bash bench/device/h200.sh`.
# Writes $OUT/h200.json and $OUT/h200.log. Options: --local (run here: no .deb unpacking, any
# adapter), --quick (fewer steps), --small (widths 8: a smoke test of the script itself).
set -uo pipefail
local=0; quick=0; extra=''
for a in "$@"; do case $a in --local) local=1;; --quick) quick=1;; --small) extra='--ngf 8';; esac; done
root=$(pwd)
dev=$root/.device
out=${OUT:-/tmp/h200-out}
mkdir -p "$out"
log=$out/h200.log
exec > >(tee "$log") 2>&1

if [ $local = 0 ]; then
  for f in "$dev"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
fi
work=/tmp/ganomaly-device
rm -rf "$work" && mkdir -p "$work" && cp -r "$dev/app" "$work/"
xz -dc "$dev/node.xz" > "$work/node" && chmod +x "$work/node"
xz -d "$work/app/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
node=$work/node
echo "node $($node --version)"
$node --input-type=module -e "
  process.chdir('$work/app');
  const { findAdapter, describeAdapter, isSoftwareAdapter } = await import('$work/app/node_modules/@ganomaly/backend-webgpu/dist/index.js');
  const a = await findAdapter();
  console.log('WebGPU adapter:', a ? describeAdapter(a) + (isSoftwareAdapter(a) ? ' [software]' : ' [hardware]') : 'none');
" || echo "adapter probe failed"

if [ $quick = 1 ]; then steps='--warmup 1 --iters 3 --runs 2 --score-iters 2'; else steps='--warmup 3 --iters 10 --runs 3 --score-iters 4'; fi
results=()
for b in 64 512; do
  sb=$(( b * 2 > 256 ? b * 2 : 256 ))
  echo "== @ganomaly webgpu, batch $b"
  line=$(cd "$work/app" && timeout 240 $node js-bench.mjs --backend webgpu --batch $b --score-batch $sb $steps $extra | tail -1)
  echo "$line"; [[ $line == \{* ]] && results+=("$line")
  echo "== PyTorch cuda, batch $b"
  line=$(timeout 240 python3 "$dev/bench/pytorch/ganomaly.py" bench --device cuda --batch $b --score-batch $sb $steps $extra | tail -1)
  echo "$line"; [[ $line == \{* ]] && results+=("$line")
done
printf '%s\n' "${results[@]}" | python3 -c "
import json, sys, datetime
rows = [json.loads(l) for l in sys.stdin if l.strip()]
json.dump({'date': datetime.datetime.utcnow().isoformat() + 'Z', 'results': rows}, open('$out/h200.json', 'w'), indent=2)
print('| system | backend | batch | train img/s | score img/s |')
print('| --- | --- | ---: | ---: | ---: |')
for r in rows:
    b = r.get('config', {}).get('batch', r.get('batch'))
    print(f\"| {r['system']} | {r['backend']} | {b} | {r['train_img_per_s']:.1f} | {r['score_img_per_s']:.1f} |\")
"
