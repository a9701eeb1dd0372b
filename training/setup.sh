#!/bin/sh
# Installs what the glyph-model training needs on Debian 12: the font packages
# the dataset is built from (issue 4's list, nothing else) and PyTorch, ONNX,
# FreeType, NumPy and Pillow from Debian. Run as root; otherwise it prints the
# command to run.
set -eu

FONT_PACKAGES="fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-urw-base35
 fonts-freefont-ttf fonts-texgyre fonts-noto-core fonts-crosextra-caladea
 fonts-crosextra-carlito fonts-croscore fonts-cantarell fonts-lato fonts-open-sans
 fonts-roboto-unhinted fonts-inter fonts-firacode fonts-hack fonts-go fonts-comic-neue
 fonts-linuxlibertine fonts-ebgaramond fonts-sil-gentium fonts-sil-charis
 fonts-sil-andika fonts-cabin fonts-dosis fonts-karla fonts-jetbrains-mono
 fonts-adf-accanthis fonts-adf-berenis fonts-adf-ikarius fonts-adf-libris
 fonts-adf-oldania fonts-adf-romande fonts-adf-tribun fonts-adf-verana fonts-lobster
 fonts-oflb-euterpe fonts-quattrocento fonts-league-spartan fonts-vollkorn
 fonts-courier-prime fonts-mononoki"
PY_PACKAGES="python3-torch python3-onnx python3-freetype python3-numpy python3-pil"

# shellcheck disable=SC2086
CMD="apt-get install -y --no-install-recommends $(echo $FONT_PACKAGES $PY_PACKAGES)"

if [ "$(id -u)" -ne 0 ]; then
    echo "training/setup.sh: not root; run this as root:"
    echo "  apt-get update && $CMD"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
$CMD
echo "training/setup.sh: fonts and Python packages installed"
