# Telemetry and the batcher (src/runtime/), listed apart from the engine and
# context sources so that their owners edit different files.
list(APPEND GLINT_SOURCES
  src/runtime/telemetry.c
  src/runtime/telemetry_export.c)
list(APPEND GLINT_SOURCES
  src/runtime/batcher.c
  src/runtime/batcher_engine.c)
