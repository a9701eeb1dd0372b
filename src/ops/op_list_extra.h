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
/* op_extra_layout.c */
GL_OP(gl_op_depth_to_space)
GL_OP(gl_op_space_to_depth)
GL_OP(gl_op_trilu)
GL_OP(gl_op_one_hot)
/* op_extra_scan.c */
GL_OP(gl_op_cumsum)
GL_OP(gl_op_hardmax)
GL_OP(gl_op_lrn)
/* op_extra_topk.c */
GL_OP(gl_op_topk)
/* op_extra_refuse.c: known, refused at load with the reason */
GL_OP(gl_op_non_zero)
GL_OP(gl_op_einsum)
