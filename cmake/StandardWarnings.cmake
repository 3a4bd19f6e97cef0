# One INTERFACE target carries the warning and sanitizer flags, so every project target opts in the same way.
add_library(herd_standard_settings INTERFACE)
target_compile_options(herd_standard_settings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(HERD_WERROR)
  target_compile_options(herd_standard_settings INTERFACE -Werror)
endif()
if(HERD_SANITIZE)
  target_compile_options(herd_standard_settings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's sanitizer instrumentation makes -Wmaybe-uninitialized fire inside libstdc++ (std::regex).
    target_compile_options(herd_standard_settings INTERFACE -Wno-maybe-uninitialized)
  endif()
  target_link_options(herd_standard_settings INTERFACE -fsanitize=address,undefined)
endif()
