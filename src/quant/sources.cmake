# Post-training quantisation (issue 7): calibration, the .calib file, the
# INT8 plan rewrite and the BF16 reference.
list(APPEND GLINT_SOURCES
  src/quant/quant_util.c
  src/quant/calibrate.c
  src/quant/calib_file.c
  src/quant/calib_qdq.c
  src/quant/quantize_plan.c
  src/quant/bf16_ref.c)
