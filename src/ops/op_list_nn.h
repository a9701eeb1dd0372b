/* GL_OP(symbol) per line: neural-network operators (conv, pooling, norms, resize, gemm). */
GL_OP(gl_op_conv)
GL_OP(gl_op_conv_transpose)
GL_OP(gl_op_fused_conv)
