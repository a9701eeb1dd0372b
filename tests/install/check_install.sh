#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then build examples/basic_run.c
# against it twice: with pkg-config, and from a CMake project using
# find_package(glint). Runs the pkg-config build on the golden model.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
test -f "$prefix/include/glint.h"
pc="$prefix/lib/pkgconfig"; [ -d "$pc" ] || pc=$(dirname "$(find "$prefix" -name glint.pc | head -1)")
export PKG_CONFIG_PATH="$pc"
cc -std=c11 "$src/examples/basic_run.c" $(pkg-config --cflags glint) $(pkg-config --libs --static glint) \
   -Wl,-rpath,"$(pkg-config --variable=libdir glint)" -o "$prefix/basic_run"
"$prefix/basic_run" "$src/tests/models/unet_opset17.onnx" | grep -q "ran on"
mkdir -p "$prefix/proj"
cat > "$prefix/proj/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(use_glint C)
find_package(glint REQUIRED)
add_executable(basic_run "$src/examples/basic_run.c")
target_link_libraries(basic_run PRIVATE glint::glint_static)
CM
cmake -S "$prefix/proj" -B "$prefix/proj/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/proj/build" >/dev/null
"$prefix/proj/build/basic_run" "$src/tests/models/unet_opset17.onnx" | grep -q "ran on"
echo "install: pkg-config and find_package builds ran; 2 passed, 0 failed"
