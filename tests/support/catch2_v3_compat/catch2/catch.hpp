// catch2/catch.hpp for Catch2 3.x, which no longer ships this header. The
// tests are written against Catch2 2.13 (Debian 12); tests/catch2.cmake puts
// this folder on the include path only when it finds Catch2 3.x, and this
// header gives back the 2.x names the tests use. With 2.13 it is never seen.
#pragma once

#include <catch2/catch_all.hpp>

#include <string>

// 2.x: Approx at global scope.
using Catch::Approx;

namespace Catch {
// 2.x: Catch::Contains, Catch::EndsWith, Catch::StartsWith (3.x: Catch::Matchers,
// and Contains became ContainsSubstring).
inline Matchers::StringContainsMatcher Contains(const std::string& str,
                                                CaseSensitive case_sensitivity = CaseSensitive::Yes) {
    return Matchers::ContainsSubstring(str, case_sensitivity);
}
using Matchers::EndsWith;
using Matchers::StartsWith;
}  // namespace Catch

// 2.x: CATCH_CONFIG_MAIN before the include makes this file define main()
// (3.x keeps main() in Catch2::Catch2WithMain, which the tests do not link).
#ifdef CATCH_CONFIG_MAIN
int main(int argc, char* argv[]) {
    return Catch::Session().run(argc, argv);
}
#endif
