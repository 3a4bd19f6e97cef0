# Writes the bytes of INPUT as a hex array, so no raw-string delimiter can clash with the content.
file(READ ${INPUT} content HEX)
string(LENGTH "${content}" hex_length)
math(EXPR byte_count "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUTPUT}
"// Generated from ${INPUT} by cmake/EmbedFileScript.cmake. DO NOT EDIT.\n"
"#include <herd/schema/embedded.hpp>\n"
"namespace herd::embedded {\n"
"namespace {\nconstexpr unsigned char k_${SYMBOL}_bytes[] = {${bytes} 0};\n}\n"
"std::string_view ${SYMBOL}() { \n  return {reinterpret_cast<const char*>(k_${SYMBOL}_bytes), ${byte_count}}; // NOLINT\n }\n"
"} // namespace herd::embedded\n")
