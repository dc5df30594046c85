#!/usr/bin/env bash
# The WebGPU path on a machine with an NVIDIA GPU, offline, in under ~5 minutes:
#   1. finds the Vulkan loader and NVIDIA's Vulkan driver (ICD), bringing them
#      along from .deb files or writing the ICD manifest when needed;
#   2. reports the WebGPU adapter (`pnpm bench env`): it must be the GPU, not lavapipe;
#   3. runs the WebGPU parity suites (every primitive, train steps per encoder
#      family x quantizer, LPIPS, the failure paths) with ZOO_REQUIRE_WEBGPU=1;
#   4. times one preset train step on webgpu vs cpu (scripts/gpu-check-step.ts).
# Needs: this repository after `pnpm install` (copy node_modules along if the
# machine has no network), the NVIDIA driver. CUDA and PyTorch are not used.
#
# Usage: bash scripts/gpu-check.sh [preset] [steps]      (default: vqgan 6)
# Offline Vulkan loader: on a networked machine of the same distribution run
#   apt-get download libvulkan1
# and copy the .deb here: ZOO_VULKAN_DEBS=/path/to/debs bash scripts/gpu-check.sh
# (the .debs are unpacked under $TMPDIR and put on LD_LIBRARY_PATH; no root needed).
# In a container, the NVIDIA runtime mounts the Vulkan driver only with
# NVIDIA_DRIVER_CAPABILITIES including "graphics" (or "all").
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-vqgan}"
steps="${2:-6}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi not found (continuing: any Vulkan GPU works)"

echo "== Vulkan loader"
if [[ -n "${ZOO_VULKAN_DEBS:-}" ]]; then
  root="$(mktemp -d)"
  for deb in "$ZOO_VULKAN_DEBS"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/usr/lib64:$root/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "unpacked $(ls "$ZOO_VULKAN_DEBS"/*.deb | wc -l) .deb file(s) from $ZOO_VULKAN_DEBS"
fi
has_loader() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && return 0
  local d
  IFS=: read -ra dirs <<<"${LD_LIBRARY_PATH:-}"
  for d in "${dirs[@]}"; do [[ -e "$d/libvulkan.so.1" ]] && return 0; done
  return 1
}
if ! has_loader; then
  echo "no libvulkan.so.1 (the Vulkan loader). Bring libvulkan1's .deb (see the header of this script) and set ZOO_VULKAN_DEBS." >&2
  exit 2
fi
echo "libvulkan.so.1 found"

echo "== NVIDIA Vulkan driver (ICD)"
icd="$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1 || true)"
if [[ -z "$icd" ]]; then
  # The driver's Vulkan ICD lives in libGLX_nvidia.so.0; some installs (containers) ship it without the manifest.
  if ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia.so.0'; then
    icd="$(mktemp -d)/nvidia_icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' >"$icd"
    echo "wrote $icd (no manifest shipped with the driver)"
  fi
fi
if [[ -n "$icd" ]]; then
  export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
  echo "using $icd"
else
  echo "no NVIDIA Vulkan ICD found: Dawn will use whatever Vulkan driver exists (lavapipe = CPU)." >&2
fi

echo "== WebGPU adapter"
start=$SECONDS
pnpm -s bench env | grep -E '^(onnxruntime|webgpu)'
if ! pnpm -s bench env --json | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")).webgpu; process.exit(r.ok && r.kind !== "lavapipe" ? 0 : 1)'; then
  echo "WARNING: the WebGPU adapter is not a GPU (see above); the numbers below are not GPU numbers" >&2
fi

echo "== WebGPU parity suites"
ZOO_REQUIRE_WEBGPU=1 node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js \
  packages/core/test/webgpu-ops.test.ts packages/core/test/webgpu-failure.test.ts \
  packages/losses/test/lpips-webgpu.test.ts packages/bench/test/webgpu-train.test.ts 2>&1 | grep -v '^Warning: maxDynamic'

echo "== One $preset train step, webgpu vs cpu"
pnpm exec tsx scripts/gpu-check-step.ts "$preset" "$steps" 2>&1 | grep -v '^Warning: maxDynamic'
echo "== done in $((SECONDS - start)) s"
