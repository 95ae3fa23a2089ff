// tools_catch_main.cpp - Catch2's main() for the tools' tests. tests/ defines
// its own catch2_main library, but only after this directory is configured.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
