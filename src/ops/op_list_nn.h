/* GL_OP(symbol) per line: neural-network operators (conv, pooling, norms, resize, gemm). */
