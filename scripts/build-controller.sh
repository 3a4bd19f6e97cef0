#!/usr/bin/env bash
# Builds herd-controller for the container image and stages what the runtime image copies:
#
#   scripts/build-controller.sh [--binary PATH] [--build-dir DIR] [--no-deps] --out DIR
#
#  1. installs the build dependencies (scripts/install-deps.sh), unless --no-deps or --binary;
#  2. builds herd-controller in build-controller-release/ (Release, no tests or benchmarks, -DHERD_RELEASE=ON:
#     DT_RPATH $ORIGIN/lib), unless --binary names one already built;
#  3. stages DIR/herd-controller and DIR/lib/ with every shared library it loads except glibc's
#     (scripts/bundle-libs.sh), and checks that the staged binary resolves each of them inside DIR/lib.
# The Dockerfile's build stage runs exactly this, and the runtime stage (debian:bookworm-slim) copies DIR to
# /opt/herd. No Docker engine runs here: CI runs this script's staging (herd-distribution-tests, with
# --binary) so the image's steps cannot rot.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

die() {
  echo "build-controller.sh: error: $*" >&2
  exit 2
}

binary=""
out=""
build_dir="$root/build-controller-release"
deps=1
while (($# > 0)); do
  case $1 in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --build-dir=*) build_dir=${1#*=}; shift ;;
    --no-deps) deps=0; shift ;;
    -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ -n $out ]] || die "--out DIR is required"

if [[ -z $binary ]]; then
  if ((deps)); then
    "$root/scripts/install-deps.sh"
  fi
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERD_BUILD_TESTS=OFF \
    -DHERD_BUILD_BENCH=OFF -DHERD_RELEASE=ON >/dev/null
  cmake --build "$build_dir" --target herd-controller -j"${HERD_JOBS:-$(nproc)}"
  binary="$build_dir/bin/herd-controller"
fi
[[ -f $binary && -x $binary ]] || die "$binary is not an executable"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/lib" "$out/herd-controller"
install -m 0755 "$binary" "$out/herd-controller"
strip --strip-unneeded "$out/herd-controller"
"$root/scripts/bundle-libs.sh" "$binary" "$out/lib" >/dev/null

# Without DT_RPATH $ORIGIN/lib (a --binary not built with -DHERD_RELEASE=ON) the image must point the loader at
# lib/ itself: say so, and check the staging with LD_LIBRARY_PATH as such an image would run it.
check_env=(env -u LD_LIBRARY_PATH)
if ! readelf -d "$out/herd-controller" | grep -q '(RPATH).*\$ORIGIN/lib'; then
  echo "build-controller.sh: warning: $binary has no DT_RPATH \$ORIGIN/lib (not built with -DHERD_RELEASE=ON)" >&2
  check_env=(env "LD_LIBRARY_PATH=$out/lib")
fi
resolved=$(cd / && "${check_env[@]}" ldd "$out/herd-controller")
for library in "$out"/lib/*; do
  grep -Fq "=> $library " <<<"$resolved" || die "the staged binary does not load $library from $out/lib:
$resolved"
done
! grep -q 'not found' <<<"$resolved" || die "libraries not found: $resolved"
echo "staged $out/herd-controller and $(find "$out/lib" -type f | wc -l) libraries in $out/lib" >&2
