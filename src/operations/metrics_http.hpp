// metrics_http.hpp - what the metrics endpoint answers, without I/O: a parsed
// HTTP request in, the response out (docs/deploy.md's table). The endpoint
// (metrics_endpoint.cpp) reads and writes; tests/fuzz drives this with the
// same parser limits.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace time_server {

using scrape_request = boost::beast::http::request<boost::beast::http::string_body>;
using scrape_response = boost::beast::http::response<boost::beast::http::string_body>;
using scrape_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A scrape's request line and headers fit in far less; anything longer is
// answered 400. A GET has no body; another method's is read (so that it can
// be answered 405) up to this.
inline constexpr std::uint32_t max_scrape_header_bytes = 8 * 1024;
inline constexpr std::uint64_t max_scrape_body_bytes = 1024;

// A parser for one request, with the limits above.
void limit_scrape_request(scrape_parser& parser);

// GET or HEAD /metrics: 200 with `metrics()` as the body (HEAD: its length,
// no body); another path: 404; another method: 405 with Allow. The response
// keeps the connection open when the request asked for it.
scrape_response answer_scrape(const scrape_request& request, const std::function<std::string()>& metrics);

// For a request that could not be parsed, or was over a limit: 400, and the
// connection closes.
scrape_response bad_scrape_request();

}  // namespace time_server
