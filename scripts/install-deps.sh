#!/usr/bin/env bash
# Installs everything Herd builds and tests with, from Debian 12 packages. Runs as root or through sudo.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config git ca-certificates
  libcpp-httplib-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libvalijson-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format openssl tmux
)
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo=sudo
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ${#packages[@]} packages installed"
