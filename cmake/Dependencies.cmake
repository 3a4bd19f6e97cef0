# Every third-party library comes from Debian packages (see scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
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
