# Warnings, warnings-as-errors and sanitizers for a glint target.
function(glint_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
      -Wpointer-arith -Wvla -Wno-unused-parameter>)
  if(GLINT_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Werror>)
  endif()
endfunction()

if(GLINT_SANITIZE)
  foreach(flag -fsanitize=${GLINT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_compile_options($<$<COMPILE_LANGUAGE:C>:${flag}>)
  endforeach()
  add_link_options(-fsanitize=${GLINT_SANITIZE})
endif()
