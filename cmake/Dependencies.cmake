# Every third-party library comes from Debian packages (see scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
# Core's one use of OpenSSL is SHA-256. kubectl-herd links libcrypto.a for it (its offline commands then load
# no OpenSSL: loading libcrypto.so costs ~3 ms of every start); a program that also loads libssl.so (the
# controller, the cluster module) must use the shared libcrypto it brings, never a second, static copy.
find_library(HERD_CRYPTO_STATIC_LIBRARY NAMES libcrypto.a REQUIRED)
add_library(herd_crypto INTERFACE)
target_link_libraries(herd_crypto INTERFACE
  $<IF:$<BOOL:$<TARGET_PROPERTY:HERD_STATIC_CRYPTO>>,${HERD_CRYPTO_STATIC_LIBRARY},OpenSSL::Crypto>)
target_include_directories(herd_crypto INTERFACE ${OPENSSL_INCLUDE_DIR})
find_package(nlohmann_json 3.11 REQUIRED)
find_package(yaml-cpp 0.7 REQUIRED)
find_package(CLI11 2 REQUIRED)
find_package(valijson REQUIRED)
# Debian ships cpp-httplib as a shared library whose Cflags (-DCPPHTTPLIB_OPENSSL_SUPPORT ...) change the layout
# of its classes: every file including httplib.h must get them, which the pkg-config target guarantees.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
if(HERD_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(HERD_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
