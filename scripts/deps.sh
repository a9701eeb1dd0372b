#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages glint needs, or prints the command when
# not root. Usage: scripts/deps.sh [build|test|fuzz]...
#   build: compiler, CMake, FreeType, libpng, fontconfig, DejaVu fonts
#   test:  + ONNX conformance data, python3 with numpy/onnx/freetype (tests
#          that compare with Python skip cleanly without them)
#   fuzz:  + clang and its sanitizer/fuzzer runtime
#   demo:  + the fonts the demo picture uses (Cabin, which lacks Latin Extended-A)
set -euo pipefail
want=(build-essential cmake pkg-config libfreetype-dev libpng-dev libfontconfig-dev fonts-dejavu-core)
for what in "$@"; do
  case "$what" in
    build) ;;
    test) want+=(libonnx-testdata python3-numpy python3-onnx python3-freetype) ;;
    fuzz) want+=(clang libclang-rt-14-dev) ;;
    demo) want+=(fonts-cabin fontconfig) ;;
    *) echo "scripts/deps.sh: unknown group '$what' (build, test, fuzz, demo)" >&2; exit 2 ;;
  esac
done
command -v dpkg-query >/dev/null || { echo "glint: not a Debian-style system; install the equivalents of: ${want[*]}" >&2; exit 0; }
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "glint: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # libclang-rt-14-dev is Debian 12's name; other releases carry their own.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | grep -v libclang-rt-14-dev) >/dev/null
else
  echo "glint: missing packages; run as root:  apt-get install ${missing[*]}" >&2
  exit 1
fi
