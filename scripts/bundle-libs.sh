#!/usr/bin/env bash
# Copies into DIR every shared library BINARY loads (as ldd resolves them, LD_LIBRARY_PATH unset) except
# glibc's own, which must come from the host: a second libc cannot be loaded next to the host's loader.
#
#   scripts/bundle-libs.sh BINARY DIR
#
# Each library is written under the name the loader looks for (its soname), mode 0644. Used by release.sh
# (the krew archive's lib/) and build-controller.sh (the controller image's lib/); both binaries carry
# DT_RPATH $ORIGIN/lib when built with -DHERD_RELEASE=ON.
set -euo pipefail
if (($# != 2)); then
  echo "usage: scripts/bundle-libs.sh BINARY DIR" >&2
  exit 2
fi
binary=$1
dir=$2
glibc='^(linux-vdso\.so|linux-gate\.so|ld-linux.*|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libBrokenLocale\.so|libmvec\.so)'
resolved=$(env -u LD_LIBRARY_PATH ldd "$binary") || {
  echo "bundle-libs.sh: error: ldd $binary failed" >&2
  exit 1
}
mkdir -p "$dir"
while read -r name arrow path _; do
  [[ $arrow == "=>" ]] || continue
  [[ $name =~ $glibc ]] && continue
  if [[ $path == not ]]; then
    echo "bundle-libs.sh: error: $binary needs $name, which ldd does not find" >&2
    exit 1
  fi
  install -m 0644 "$(readlink -f "$path")" "$dir/$name"
  echo "$name"
done <<<"$resolved"
