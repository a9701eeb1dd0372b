# GPU tests: built wherever the CUDA backend is built, run under the ctest
# label "gpu"; each exits 77 (skipped) when no GPU is usable.
if(GLINT_HAVE_CUDA)
  file(GLOB GLINT_GPU_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_gpu_*.c)
  foreach(src ${GLINT_GPU_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE glint_testlib)
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
    glint_warnings(${name})
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 170
      ENVIRONMENT "GLINT_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endforeach()
endif()
# The direct convolution's per-item code (cuda_conv_direct.cuh) run on the
# host against the reference kernels: needs nvcc but no GPU, so it always runs.
if(GLINT_HAVE_CUDA)
  add_executable(test_conv_host ${CMAKE_CURRENT_LIST_DIR}/test_conv_host.cu)
  target_link_libraries(test_conv_host PRIVATE glint_testlib)
  target_compile_options(test_conv_host PRIVATE --expt-relaxed-constexpr
    $<$<BOOL:${GLINT_WERROR}>:--Werror=all-warnings -Xcompiler=-Wall>)
  add_test(NAME test_conv_host COMMAND test_conv_host)
  set_tests_properties(test_conv_host PROPERTIES LABELS cuda_host TIMEOUT 300)
endif()
# The INT8 kernels' quantiser (gk_quantize_n, cuda_device.cuh) run on the host
# against QuantizeLinear's reference: needs nvcc but no GPU.
if(GLINT_HAVE_CUDA)
  add_executable(test_quantize_host ${CMAKE_CURRENT_LIST_DIR}/test_quantize_host.cu)
  target_link_libraries(test_quantize_host PRIVATE glint_testlib)
  target_compile_options(test_quantize_host PRIVATE
    $<$<BOOL:${GLINT_WERROR}>:--Werror=all-warnings -Xcompiler=-Wall>)
  add_test(NAME test_quantize_host COMMAND test_quantize_host)
  set_tests_properties(test_quantize_host PROPERTIES LABELS cuda_host TIMEOUT 120)
endif()

# The CUDA kernels' index math checked on the host: needs a CUDA build (it
# links the lowering), not a GPU, so it runs wherever nvcc is (label cuda_host).
if(GLINT_HAVE_CUDA)
  add_executable(test_host_cuda_resize ${CMAKE_CURRENT_LIST_DIR}/test_host_cuda_resize.c)
  target_link_libraries(test_host_cuda_resize PRIVATE glint_testlib)
  target_include_directories(test_host_cuda_resize PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  glint_warnings(test_host_cuda_resize)
  add_test(NAME test_host_cuda_resize COMMAND test_host_cuda_resize)
  set_tests_properties(test_host_cuda_resize PROPERTIES LABELS cuda_host TIMEOUT 120)
endif()

# The INT8 GPU test's host half (calibration, the plan rewrite, the quantised
# reference on every case, bias-less convolutions and a uint8 QDQ graph
# among them) runs wherever the CUDA backend is built, GPU or not.
if(GLINT_HAVE_CUDA)
  add_test(NAME test_gpu_int8_host COMMAND test_gpu_int8)
  set_tests_properties(test_gpu_int8_host PROPERTIES LABELS cuda_host TIMEOUT 120
    ENVIRONMENT "GLINT_GPU_INT8_DRY=1")
endif()
