list(APPEND GLINT_SOURCES
  src/plan/plan.c
  src/plan/plan_memory.c
  src/plan/memplan.c
  src/plan/fuse.c)
