/* GL_OP(symbol) per line: extra operators for ONNX conformance coverage
 * (issue 2, item 3). */
/* op_extra_act.c */
GL_OP(gl_op_prelu)
GL_OP(gl_op_mish)
GL_OP(gl_op_thresholded_relu)
GL_OP(gl_op_shrink)
GL_OP(gl_op_is_nan)
GL_OP(gl_op_is_inf)
GL_OP(gl_op_dropout)
/* op_extra_gather.c */
GL_OP(gl_op_gather_elements)
GL_OP(gl_op_gather_nd)
/* op_extra_scatter.c */
GL_OP(gl_op_scatter_elements)
GL_OP(gl_op_scatter_nd)
