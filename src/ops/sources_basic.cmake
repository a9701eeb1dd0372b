list(APPEND GLINT_SOURCES src/ops/registry.c src/ops/op_identity.c)
