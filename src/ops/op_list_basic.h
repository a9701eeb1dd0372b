/* GL_OP(symbol) per line: elementwise, shape and tensor-manipulation operators. */
GL_OP(gl_op_identity)
