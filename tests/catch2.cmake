# catch2.cmake - finds Catch2 for the test folders (tests/ and tools/tests/
# include it; each needs the imported targets in its own scope).
#
# The tests are written against Catch2 2.13 (Debian 12): <catch2/catch.hpp>,
# CATCH_CONFIG_MAIN, Catch::Contains, Approx. Catch2 3.x (Debian 13: 3.7,
# Ubuntu 24.04: 3.4) has no catch.hpp, so with 3.x the folder
# tests/support/catch2_v3_compat/ goes on Catch2::Catch2's include path: its
# catch2/catch.hpp includes <catch2/catch_all.hpp> and restores those names.
# No test source changes with the Catch2 version.
find_package(Catch2 REQUIRED)
if(Catch2_VERSION VERSION_LESS 2.13)
  message(FATAL_ERROR "Catch2 ${Catch2_VERSION} found; the tests need 2.13 or 3.x")
endif()
# The option that makes a test spec (name or tag) matching no test case fail
# instead of passing empty: `--warn ${catch2_warn_unmatched}`. 3.x renamed it
# and, unlike 2.x, also fails by itself when no test runs.
set(catch2_warn_unmatched NoTests)
if(Catch2_VERSION VERSION_GREATER_EQUAL 3)
  set(catch2_warn_unmatched UnmatchedTestSpec)
  set_property(TARGET Catch2::Catch2 APPEND PROPERTY INTERFACE_INCLUDE_DIRECTORIES
                                                     ${PROJECT_SOURCE_DIR}/tests/support/catch2_v3_compat)
endif()
include(Catch)

# Catch2's main(), one library for every test executable: tests/ and
# tools/tests/ both include this file, and the first defines it. With 2.13 this
# translation unit is all of Catch2's implementation, not this project's code:
# it is built unoptimised and uninstrumented in every preset, because the
# sanitizers at -O2 took two to four minutes of CPU over this one file, and
# instrumenting Catch2 tests nothing of the server.
if(NOT TARGET catch2_main)
  add_library(catch2_main STATIC ${CMAKE_CURRENT_LIST_DIR}/catch2_main.cpp)
  target_link_libraries(catch2_main PUBLIC Catch2::Catch2)
  target_compile_options(catch2_main PRIVATE -O0 -fno-sanitize=all)
endif()
