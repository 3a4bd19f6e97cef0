# herd_embed_file(<out.cpp> <symbol> <input>) generates a C++ source defining
# `std::string_view herd::embedded::<symbol>()` holding the file's bytes, regenerated when the input changes.
function(herd_embed_file out symbol input)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake
    COMMENT "Embedding ${input}" VERBATIM)
endfunction()
