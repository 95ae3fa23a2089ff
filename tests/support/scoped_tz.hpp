// scoped_tz.hpp - sets TZ for one test and puts the old value back, so the
// other tests in the process keep their zone.
#pragma once

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace test_support {

class scoped_tz {
public:
    explicit scoped_tz(const char* zone) {
        if (const char* old = std::getenv("TZ")) {
            old_ = old;
        }
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~scoped_tz() {
        if (old_) {
            ::setenv("TZ", old_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    scoped_tz(const scoped_tz&) = delete;
    scoped_tz& operator=(const scoped_tz&) = delete;

private:
    std::optional<std::string> old_;
};

}  // namespace test_support
