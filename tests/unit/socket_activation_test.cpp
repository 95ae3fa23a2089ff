// socket_activation_test.cpp - when LISTEN_PID and LISTEN_FDS hand this
// process listening sockets, and when they do not.
#include "socket_activation.hpp"

#include <catch2/catch.hpp>

namespace {

using time_server::inherited_listener_count;

TEST_CASE("LISTEN_PID naming this process and LISTEN_FDS >= 1 hand over sockets", "[unit][socket_activation]") {
    CHECK(inherited_listener_count("4242", "1", 4242) == 1);
    CHECK(inherited_listener_count("4242", "3", 4242) == 3);
}

TEST_CASE("anything else hands over nothing", "[unit][socket_activation]") {
    CHECK_FALSE(inherited_listener_count(nullptr, nullptr, 4242));
    CHECK_FALSE(inherited_listener_count("4242", nullptr, 4242));
    CHECK_FALSE(inherited_listener_count(nullptr, "1", 4242));
    CHECK_FALSE(inherited_listener_count("4243", "1", 4242));  // meant for the parent, inherited by a child
    CHECK_FALSE(inherited_listener_count("4242", "0", 4242));
    CHECK_FALSE(inherited_listener_count("4242", "-1", 4242));
    CHECK_FALSE(inherited_listener_count("4242", "", 4242));
    CHECK_FALSE(inherited_listener_count("4242", "1x", 4242));
    CHECK_FALSE(inherited_listener_count(" 4242", "1", 4242));
    CHECK_FALSE(inherited_listener_count("4242x", "1", 4242));
}

}  // namespace
