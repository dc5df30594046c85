#!/usr/bin/env bash
# Fresh-machine setup: pnpm 10, the workspace from the committed lockfile, and
# the Debian packages the test suite uses. Safe to re-run.
#  - onnxruntime-node's install script (a CUDA download) is skipped: the CPU
#    binaries ship in the package. GPU users: `pnpm install:cuda` afterwards.
#  - @tensorflow/tfjs-node(-gpu) are optional peers, not installed (their
#    install downloads libtensorflow); the tfjs engine uses wasm/cpu without them.
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

export ONNXRUNTIME_NODE_INSTALL=skip
pnpm install --frozen-lockfile
