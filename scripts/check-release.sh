#!/usr/bin/env bash
# Checks a release archive of scripts/release.sh the way a bare host would meet it:
#
#   scripts/check-release.sh [--root-cache DIR] dist/kubectl-herd_VERSION_linux_amd64.tar.gz
#
#  1. the archive holds kubectl-herd and kubectl_complete-herd (executable), lib/ (with the cluster module
#     kubectl-herd-cluster.so) and LICENSE;
#  2. kubectl-herd has DT_RPATH $ORIGIN/lib (not DT_RUNPATH, which would not cover the libraries' own
#     dependencies), ships libstdc++.so.6 in lib/ (one C++ runtime), and `ldd` with an empty LD_LIBRARY_PATH finds
#     every library of the binary and of the module, each one not from glibc inside lib/; the newest glibc symbol version needed is printed;
#  3. in a minimal Debian 12 root (debootstrap --variant=minbase: no OpenSSL, cpp-httplib or yaml-cpp), under
#     chroot: ldd, `kubectl-herd version`, `kubectl-herd lint` on examples/minimal.yaml, `kubectl-herd get`
#     (which loads the module) as far as its missing kubeconfig, and
#     kubectl_complete-herd reached through a symbolic link on the PATH.
# The minimal root is copied from a cache and never modified: --root-cache DIR, else $HERD_MINIMAL_ROOT, else
# /tmp/fresh-root when it exists, else ${XDG_CACHE_HOME:-~/.cache}/herd/bookworm-minbase, made with
# debootstrap (Debian package debootstrap; needs the network) when missing. Step 3 needs root (chroot, mount).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

die() {
  echo "check-release.sh: error: $*" >&2
  exit 1
}

cache=${HERD_MINIMAL_ROOT:-}
archive=""
while (($# > 0)); do
  case $1 in
    --root-cache) cache=${2:?--root-cache needs a directory}; shift 2 ;;
    --root-cache=*) cache=${1#*=}; shift ;;
    -h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) archive=$1; shift ;;
  esac
done
[[ -n $archive && -f $archive ]] || die "usage: scripts/check-release.sh ARCHIVE (got \"$archive\")"
archive=$(readlink -f "$archive")

work=$(mktemp -d)
mounted=""
cleanup() {
  if [[ -n $mounted ]]; then
    umount "$mounted" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== contents of $(basename "$archive")"
tar -tzvf "$archive"
mkdir "$work/unpacked"
tar -xzf "$archive" -C "$work/unpacked"
bin="$work/unpacked/kubectl-herd"
for file in kubectl-herd kubectl_complete-herd; do
  [[ -f $work/unpacked/$file && -x $work/unpacked/$file ]] || die "$file is missing or not executable"
done
[[ -f $work/unpacked/LICENSE ]] || die "LICENSE is missing"
[[ -d $work/unpacked/lib ]] || die "lib/ is missing"
[[ -f $work/unpacked/lib/kubectl-herd-cluster.so ]] || die "lib/kubectl-herd-cluster.so (the cluster commands) is missing"

echo "== dynamic section"
dynamic=$(readelf -d "$bin")
grep -E '\((NEEDED|RPATH|RUNPATH)\)' <<<"$dynamic"
grep -q '(RPATH).*\[\$ORIGIN/lib\]' <<<"$dynamic" || die "no DT_RPATH [\$ORIGIN/lib]"
! grep -q '(RUNPATH)' <<<"$dynamic" || die "DT_RUNPATH set: link with -Wl,--disable-new-dtags"
# One C++ runtime: the binary, cpp-httplib and yaml-cpp share the libstdc++.so.6 shipped in lib/.
[[ -f $work/unpacked/lib/libstdc++.so.6 ]] || die "lib/libstdc++.so.6 is missing"

echo "== ldd (empty LD_LIBRARY_PATH)"
resolved=$(cd / && env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= ldd "$bin" "$work/unpacked/lib/kubectl-herd-cluster.so" |
  grep -v ':$')
echo "$resolved"
! grep -q 'not found' <<<"$resolved" || die "ldd: libraries not found"
glibc='^(linux-vdso\.so|ld-linux.*|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libmvec\.so)'
while read -r name arrow path _; do
  [[ $arrow == "=>" ]] || continue
  [[ $name =~ $glibc ]] && continue
  [[ $path == "$work/unpacked/lib/"* ]] || die "$name resolves to $path, not to the archive's lib/"
done <<<"$resolved"
newest=$(objdump -T "$bin" "$work"/unpacked/lib/*.so* | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2,2n -u | tail -1)
echo "newest glibc symbol version needed: $newest (binary and lib/)"

echo "== minimal Debian root"
if [[ $(id -u) -ne 0 ]]; then
  die "the minimal-root run needs root (chroot, mount /proc)"
fi
if [[ -z $cache ]]; then
  if [[ -d /tmp/fresh-root/usr ]]; then
    cache=/tmp/fresh-root
  else
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/herd/bookworm-minbase"
  fi
fi
if [[ ! -d $cache/usr ]]; then
  command -v debootstrap >/dev/null || die "no minimal root at $cache and no debootstrap (apt-get install debootstrap)"
  echo "debootstrap --variant=minbase bookworm $cache (once; later runs copy it)" >&2
  mkdir -p "$(dirname "$cache")"
  debootstrap --variant=minbase bookworm "$cache.partial" http://deb.debian.org/debian >&2
  mv "$cache.partial" "$cache"
fi
echo "copy of $cache ($(. "$cache/etc/os-release" && echo "$PRETTY_NAME"))"
cp -a "$cache" "$work/root"
for package in libssl3 libcpp-httplib0.11 libyaml-cpp0.7 libbrotli1; do
  if [[ -e $work/root/var/lib/dpkg/info/$package:amd64.list || -e $work/root/var/lib/dpkg/info/$package.list ]]; then
    echo "note: the minimal root has $package installed"
  fi
done
mkdir -p "$work/root/opt/herd"
tar -xzf "$archive" -C "$work/root/opt/herd"
cp "$root/examples/minimal.yaml" "$work/root/tmp/stack.yaml"
ln -s /opt/herd/kubectl_complete-herd "$work/root/usr/local/bin/kubectl_complete-herd"
mount -t proc proc "$work/root/proc" # the loader finds $ORIGIN through /proc/self/exe
mounted="$work/root/proc"
in_root() {
  echo "\$ $*"
  chroot "$work/root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root "$@"
}
in_root ldd /opt/herd/kubectl-herd
in_root /opt/herd/kubectl-herd version
in_root /opt/herd/kubectl-herd lint /tmp/stack.yaml
# A cluster command loads lib/kubectl-herd-cluster.so (and its libraries) before it reads the kubeconfig.
cluster_run=$(in_root /opt/herd/kubectl-herd get --kubeconfig /tmp/no-such-kubeconfig 2>&1 || true)
echo "$cluster_run"
grep -q 'no-such-kubeconfig' <<<"$cluster_run" || die "kubectl-herd get did not reach the kubeconfig (module not loaded?)"
completions=$(in_root kubectl_complete-herd rollout pa)
echo "$completions"
grep -q '^pause' <<<"$completions" || die "kubectl_complete-herd did not complete rollout pa"
echo "== $(basename "$archive"): OK"
