// escaped.hpp - client bytes as the server's log shows them: the shipped
// formatter (log_text.hpp's client_text), as a string to compare with.
#pragma once

#include "escaped.hpp"
#include "log_text.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace test_support {

inline std::string escape_for_log(std::string_view bytes) {
    return fmt::format("{}", time_server::client_text{bytes});
}

}  // namespace test_support
