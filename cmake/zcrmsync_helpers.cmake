# zcrmsync_library() and zcrmsync_test(): one library per folder, abseil style.
#
#   zcrmsync_library(NAME odbc SRCS a.cpp DEPS zcrmsync::core PRIVATE_DEPS ODBC::ODBC)
#     -> target zcrmsync_odbc, alias zcrmsync::odbc. Without SRCS it is an
#        INTERFACE library (headers only).
#   zcrmsync_test(NAME odbc_unit SRCS a_test.cpp DEPS zcrmsync::odbc LABELS unit)
#     -> a gtest binary whose tests are registered one by one with ctest.

# GCC 12 flags designated initializers that skip members with default
# initializers (fixed in GCC 13), so that one warning is off.
set(ZCRMSYNC_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wno-missing-field-initializers)

function(zcrmsync_apply_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE ${ZCRMSYNC_WARNINGS})
    if(ZCRMSYNC_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /utf-8)
    if(ZCRMSYNC_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  endif()
endfunction()

function(zcrmsync_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target zcrmsync_${ARG_NAME})
  if(ARG_SRCS)
    add_library(${target} STATIC ${ARG_SRCS})
    target_include_directories(${target} PUBLIC
      "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}/generated")
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    zcrmsync_apply_warnings(${target})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE
      "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}/generated")
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
  add_library(zcrmsync::${ARG_NAME} ALIAS ${target})
endfunction()

function(zcrmsync_test)
  if(NOT ZCRMSYNC_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  zcrmsync_apply_warnings(${ARG_NAME})
  gtest_discover_tests(${ARG_NAME}
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()
