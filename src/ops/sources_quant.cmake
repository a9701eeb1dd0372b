# Quantisation operators (issue 7): QuantizeLinear / DequantizeLinear and glint::QConv.
list(APPEND GLINT_SOURCES
  src/ops/op_quant.c
  src/ops/op_qconv.c)
