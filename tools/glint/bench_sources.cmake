# `glint bench` (one configuration, or the benchmark suite with --suite).
# main.c enables the command when GLINT_TOOL_BENCH_SOURCES is non-empty, so
# that list names one file; the helpers join the tool's general sources.
set(GLINT_TOOL_BENCH_SOURCES tools/glint/cmd_bench.c)
list(APPEND GLINT_TOOL_SOURCES
  tools/glint/bench_suite.c
  tools/glint/bench_util.c)
