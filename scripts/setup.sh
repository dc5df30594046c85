#!/usr/bin/env bash
# Fresh-machine setup: pnpm 10, the workspace from the committed lockfile, and
# the Debian packages the test suite uses. Safe to re-run.
#  - onnxruntime-node's install script (a CUDA download) is skipped: the CPU
#    binaries ship in the package. GPU users: `pnpm install:cuda` afterwards.
#  - @tensorflow/tfjs-node(-gpu) are optional peers, not installed (their
#    install downloads libtensorflow); the tfjs engine uses wasm/cpu without them.
#  - The WebGPU tests need a Vulkan driver Dawn accepts: on Debian 12 Mesa 25's
#    lavapipe (CPU Vulkan) from bookworm-backports (bookworm's Mesa 22 lacks
#    features Dawn needs); Debian 13+ ships Mesa 25 itself. Skipped with a note
#    elsewhere (the WebGPU tests then skip, saying why).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != 10.* ]]; then
  npm install -g pnpm@10
fi

need_apt=()
# Headless Chromium renders the HTML leaderboard in the browser test
# (ZOO_SETUP_NO_TEST_DEPS=1 skips what only the tests need, e.g. in deploy/Dockerfile).
if [[ -z "${ZOO_SETUP_NO_TEST_DEPS:-}" ]]; then
  [[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
  # PyTorch (CPU) runs the `bench step` peer, whose test checks that it computes our model's loss.
  /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need_apt+=(python3-torch libopenblas0-pthread)
fi
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# Vulkan for onnxruntime's WebGPU provider (lavapipe on machines without a GPU).
install_vulkan() {
  if [[ ! -f /etc/debian_version ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: not Debian: skipping the Vulkan driver; install Mesa >= 25 lavapipe (or your GPU's Vulkan driver) for --device webgpu and its tests" >&2
    return 0
  fi
  local have
  have="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
  if [[ -n "$have" ]] && dpkg --compare-versions "$have" ge 25 && dpkg-query -W libvulkan1 >/dev/null 2>&1; then
    return 0
  fi
  local codename sudo=""
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  local target=()
  if [[ "$codename" == bookworm ]]; then
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "deb http://deb.debian.org/debian bookworm-backports main" | $sudo tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    fi
    target=(-t bookworm-backports)
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${target[@]}" mesa-vulkan-drivers libvulkan1
}
if [[ -z "${ZOO_SETUP_NO_TEST_DEPS:-}" ]]; then
  install_vulkan
fi

export ONNXRUNTIME_NODE_INSTALL=skip
pnpm install --frozen-lockfile
