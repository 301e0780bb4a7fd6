# Third-party libraries for the mingw-w64 cross build (included by the
# top-level CMakeLists.txt when cross-compiling for Windows).
#
# Debian ships no mingw builds of spdlog, fmt, libcurl or Boost, but spdlog,
# fmt and RapidJSON work header-only. Their headers are taken from the host's
# /usr/include through a folder of symlinks, so that the rest of /usr/include
# (glibc's headers) never reaches the Windows compiler. ODBC is Windows' own
# odbc32 (headers and import library ship with mingw-w64).

set(_zcrmsync_tp "${PROJECT_BINARY_DIR}/mingw-third-party/include")
file(MAKE_DIRECTORY "${_zcrmsync_tp}")
foreach(_dir spdlog fmt rapidjson)
  if(NOT EXISTS "/usr/include/${_dir}")
    message(FATAL_ERROR "mingw cross build: /usr/include/${_dir} is missing (install lib${_dir}-dev)")
  endif()
  if(NOT EXISTS "${_zcrmsync_tp}/${_dir}")
    file(CREATE_LINK "/usr/include/${_dir}" "${_zcrmsync_tp}/${_dir}" SYMBOLIC)
  endif()
endforeach()

# fmt header-only; spdlog is header-only unless SPDLOG_COMPILED_LIB is set,
# and Debian's spdlog/tweakme.h points it at the external fmt.
add_library(fmt::fmt INTERFACE IMPORTED)
set_target_properties(fmt::fmt PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_zcrmsync_tp}"
  INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")
add_library(spdlog::spdlog INTERFACE IMPORTED)
set_target_properties(spdlog::spdlog PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_zcrmsync_tp}"
  INTERFACE_LINK_LIBRARIES fmt::fmt)

# mappings/ looks RapidJSON up with find_path, which the toolchain confines to
# the mingw sysroot; point it at the symlink.
set(ZCRMSYNC_RAPIDJSON_INCLUDE_DIR "${_zcrmsync_tp}" CACHE PATH "RapidJSON headers" FORCE)

find_package(ODBC REQUIRED)
# FindODBC names mingw's library by its file name, libodbc32.a; CMake then
# wraps it in -Wl,-Bstatic ... -Wl,-Bdynamic, and the trailing -Bdynamic
# makes the executables need libstdc++-6.dll. A plain name avoids that.
set_target_properties(ODBC::ODBC PROPERTIES IMPORTED_LIBNAME odbc32)

# GoogleTest from Debian's sources (libgtest-dev ships /usr/src/googletest),
# for unit tests that tests/windows/cross_compile.sh runs under Wine. Tests
# are listed when ctest runs, not after linking: a Windows binary cannot run
# on the build machine.
if(ZCRMSYNC_BUILD_TESTS)
  if(NOT EXISTS /usr/src/googletest/CMakeLists.txt)
    message(FATAL_ERROR "mingw cross build with tests: /usr/src/googletest is missing "
                        "(install libgtest-dev) or configure with -DZCRMSYNC_BUILD_TESTS=OFF")
  endif()
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory(/usr/src/googletest "${PROJECT_BINARY_DIR}/googletest" EXCLUDE_FROM_ALL)
  foreach(_lib gtest gtest_main gmock gmock_main)
    if(NOT TARGET GTest::${_lib})
      add_library(GTest::${_lib} ALIAS ${_lib})
    endif()
  endforeach()
  set(CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE PRE_TEST)
endif()
