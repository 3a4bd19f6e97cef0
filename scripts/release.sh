#!/usr/bin/env bash
# Builds the linux/amd64 release of kubectl-herd and packs it for krew:
#
#   scripts/release.sh [--binary PATH] [--out DIR] [--manifest FILE] [--build-dir DIR] VERSION
#
# VERSION is a semantic version without the leading v (0.1.0, 1.2.0-rc.1). The script
#  1. builds kubectl-herd and its cluster module kubectl-herd-cluster.so in build-release/ (Release, no tests or
#     benchmarks, -DHERD_RELEASE=ON: DT_RPATH $ORIGIN/lib, the version embedded), unless --binary names a
#     kubectl-herd already built (its module next to it);
#  2. packs DIR/kubectl-herd_VERSION_linux_amd64.tar.gz (default DIR: dist/) with the stripped kubectl-herd,
#     lib/ holding the module and every shared library the two load except glibc's own (resolved with ldd:
#     cpp-httplib, OpenSSL 3, zlib, brotli, yaml-cpp, libstdc++ and libgcc_s), kubectl_complete-herd and LICENSE,
#     and writes its sha256 next to it (DIR/...tar.gz.sha256, sha256sum's format);
#  3. renders the krew manifest from krew/herd.yaml.in: krew/herd.yaml, or DIR/herd.yaml with --out (tests),
#     or FILE with --manifest.
# The archive is reproducible: sorted names, owner 0, mtimes of the last commit (or SOURCE_DATE_EPOCH).
# scripts/check-release.sh checks an archive (ldd, and a run in a minimal Debian root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  sed -n '2,16s/^# \{0,1\}//p' "$0"
}
die() {
  echo "release.sh: error: $*" >&2
  exit 2
}

binary=""
out=""
manifest=""
build_dir="$root/build-release"
version=""
while (($# > 0)); do
  case $1 in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --manifest) manifest=${2:?--manifest needs a file}; shift 2 ;;
    --manifest=*) manifest=${1#*=}; shift ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --build-dir=*) build_dir=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      [[ -z $version ]] || die "one VERSION only (got $version and $1)"
      version=$1
      shift
      ;;
  esac
done

[[ -n $version ]] || die "VERSION is missing: scripts/release.sh 0.1.0"
# semver.org's grammar (numeric identifiers without leading zeros), as POSIX ERE.
number='(0|[1-9][0-9]*)'
identifier='(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)'
semver="^$number\\.$number\\.$number(-$identifier(\\.$identifier)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?\$"
if ! [[ $version =~ $semver ]]; then
  if [[ $version == v* && ${version#v} =~ $semver ]]; then
    die "give VERSION without the leading v: ${version#v} (the manifest and the binary add it)"
  fi
  die "VERSION \"$version\" is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. 0.1.0"
fi
if [[ $(uname -m) != x86_64 ]]; then
  die "this script builds linux/amd64 only (this machine is $(uname -m))"
fi

if [[ -z $binary ]]; then
  echo "== build kubectl-herd v$version (Release, \$ORIGIN/lib) in $build_dir" >&2
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERD_BUILD_TESTS=OFF \
    -DHERD_BUILD_BENCH=OFF -DHERD_RELEASE=ON "-DHERD_VERSION_OVERRIDE=$version" >/dev/null
  cmake --build "$build_dir" --target kubectl-herd -j"${HERD_JOBS:-$(nproc)}"
  binary="$build_dir/bin/kubectl-herd"
fi
[[ -f $binary && -x $binary ]] || die "$binary is not an executable"
module="$(dirname "$binary")/kubectl-herd-cluster.so"
[[ -f $module ]] || die "$module is missing: kubectl-herd's cluster commands (get, rollout, plan --live) live there"

reported=$("$binary" version) || die "$binary version failed"
if [[ $reported != "kubectl-herd v$version "* ]]; then
  die "$binary reports \"$reported\", not v$version (build it with -DHERD_VERSION_OVERRIDE=$version)"
fi
if ! readelf -d "$binary" | grep -q '(RPATH).*\$ORIGIN/lib'; then
  echo "release.sh: warning: $binary has no DT_RPATH \$ORIGIN/lib (not built with -DHERD_RELEASE=ON):" \
    "it will not load the libraries of lib/" >&2
fi

if [[ -z $out ]]; then
  out="$root/dist"
  manifest=${manifest:-$root/krew/herd.yaml}
else
  manifest=${manifest:-$out/herd.yaml}
fi
mkdir -p "$out" "$(dirname "$manifest")"
out=$(cd "$out" && pwd)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$binary" "$stage/kubectl-herd"
strip --strip-unneeded "$stage/kubectl-herd"
install -m 0755 "$root/plugin/kubectl_complete-herd" "$stage/kubectl_complete-herd"
install -m 0644 "$root/LICENSE" "$stage/LICENSE"
"$root/scripts/bundle-libs.sh" "$binary" "$stage/lib" >/dev/null
"$root/scripts/bundle-libs.sh" "$module" "$stage/lib" >/dev/null
install -m 0644 "$module" "$stage/lib/kubectl-herd-cluster.so"
strip --strip-unneeded "$stage/lib/kubectl-herd-cluster.so"

archive="kubectl-herd_${version}_linux_amd64.tar.gz"
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=gnu -C "$stage" -cf - \
  kubectl-herd kubectl_complete-herd lib LICENSE | gzip -9n >"$out/$archive"
(cd "$out" && sha256sum "$archive" >"$archive.sha256")
sha=$(cut -d' ' -f1 "$out/$archive.sha256")
[[ $sha =~ ^[a-f0-9]{64}$ ]] || die "unexpected sha256 \"$sha\""

sed -e "s|@VERSION@|$version|g" -e "s|@SHA256@|$sha|g" "$root/krew/herd.yaml.in" >"$manifest.tmp"
if grep -n '@[A-Z0-9_]*@' "$manifest.tmp" >&2; then
  rm -f "$manifest.tmp"
  die "krew/herd.yaml.in has placeholders this script does not fill (above)"
fi
mv "$manifest.tmp" "$manifest"

echo "$out/$archive" >&2
echo "$out/$archive.sha256: $sha" >&2
echo "$manifest" >&2
echo "Try it: kubectl krew install --manifest=$manifest --archive=$out/$archive" >&2
