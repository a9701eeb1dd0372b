/* GL_OP(symbol) per line: quantisation operators (QuantizeLinear,
 * DequantizeLinear and the internal INT8 convolution glint::QConv). */
GL_OP(gl_op_quantize_linear)
GL_OP(gl_op_dequantize_linear)
GL_OP(gl_op_qconv)
