// fuzz_metrics_http.cpp - fuzz target for the metrics endpoint's request path
// without I/O: the input is what a scraper sends on one connection. It is
// parsed the way metrics_endpoint.cpp reads it (a scrape_parser per request,
// limited by limit_scrape_request, the bytes after a request kept for the
// next one), and every complete request is answered with answer_scrape. Any
// violated invariant traps, so libFuzzer (or replay_main.cpp) reports it as
// a crash.
//
// Checked for every request that parses:
//   - it is within the limits: a request line, and the header fields after
//     it, of at most max_scrape_header_bytes each; a body of at most
//     max_scrape_body_bytes;
//   - the status is 200, 404 or 405; 200 exactly for GET or HEAD of the
//     target "/metrics", 405 exactly for another method (with Allow: GET,
//     HEAD), 404 otherwise; the metrics are computed only for a 200;
//   - Content-Length is the body's size; for HEAD, the size of GET's body,
//     with GET's headers and an empty body;
//   - the response keeps the connection open exactly when the request asked,
//     in the request's HTTP version;
//   - a non-200 response is, byte for byte, the one any other target gets:
//     nothing of the request's target (or headers) is written back;
//   - the serialized response parses back as one response with that status
//     and body, and nothing after it.
// A request that cannot be parsed, or is over a limit: bad_scrape_request()
// is a 400 that closes the connection, and nothing more is read. The input
// ending inside a request is a scraper that hung up: nobody is answered.
#include "metrics_http.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>

namespace {

namespace http = boost::beast::http;
using boost::system::error_code;
using time_server::scrape_parser;
using time_server::scrape_request;
using time_server::scrape_response;

// What the callback returns; its bytes appear nowhere else in a response.
constexpr std::string_view fixed_metrics =
    "# HELP fuzz_metric A fixed text.\n"
    "# TYPE fuzz_metric gauge\n"
    "fuzz_metric 42\n";

// A target no input can make the checks confuse with its own: it has a NUL.
constexpr std::string_view canonical_target{"/\0canonical", 11};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_metrics_http: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

void check(bool ok, const char* what) {
    if (!ok) {
        fail(what);
    }
}

std::string_view view(boost::beast::string_view text) {
    return {text.data(), text.size()};
}

std::string serialized(const scrape_response& response) {
    std::ostringstream out;
    out << response;
    return out.str();
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

std::size_t content_length(const scrape_response& response) {
    const auto text = view(response[http::field::content_length]);
    check(!text.empty(), "no Content-Length");
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    check(error == std::errc() && end == text.data() + text.size(), "Content-Length not a number");
    return value;
}

// Feeds the parser from `rest` as http::read feeds it from its buffer: every
// put() gets all the bytes not yet consumed, and what the request did not
// use stays in `rest` for the next one. Returns the parse error, or
// end_of_stream / partial_message when the input ends before the request.
error_code read_request(scrape_parser& parser, std::string_view& rest) {
    error_code error;
    while (!parser.is_done()) {
        if (rest.empty()) {
            if (!parser.got_some()) {
                return http::error::end_of_stream;
            }
            parser.put_eof(error);
            return error ? error : error_code(http::error::partial_message);
        }
        const auto used = parser.put(boost::asio::const_buffer(rest.data(), rest.size()), error);
        check(used <= rest.size(), "put() consumed more than it was given");
        rest.remove_prefix(used);
        if (error == http::error::need_more) {
            if (used == 0) {
                // Every byte left was offered and it was not enough: the input
                // ends inside the request.
                parser.put_eof(error);
                return error ? error : error_code(http::error::partial_message);
            }
            error = {};
            continue;
        }
        if (error) {
            return error;
        }
        check(used > 0 || parser.is_done(), "put() neither consumed, finished nor asked for more");
    }
    return {};
}

// The response parses back as exactly one response, with this status and body.
void check_wire(const std::string& wire, const scrape_response& response, bool head) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);  // a response to HEAD has a Content-Length and no body
    parser.eager(true);
    error_code error;
    std::string_view rest = wire;
    while (!parser.is_done() && !rest.empty()) {
        const auto used = parser.put(boost::asio::const_buffer(rest.data(), rest.size()), error);
        rest.remove_prefix(used);
        if (error == http::error::need_more && used > 0) {
            error = {};
            continue;
        }
        check(!error, "the serialized response does not parse");
    }
    check(parser.is_done(), "the serialized response is incomplete");
    check(rest.empty(), "bytes after the serialized response");
    const auto& back = parser.get();
    check(back.result() == response.result(), "the status does not survive serialization");
    check(back.body() == response.body(), "the body does not survive serialization");
    check(back.keep_alive() == response.keep_alive(), "keep-alive does not survive serialization");
}

// The response `request` would get with another target, in the same HTTP
// version and keep-alive: the model of "nothing of the request is written back".
scrape_response canonical_answer(const scrape_request& request, http::verb method) {
    scrape_request other(method, {canonical_target.data(), canonical_target.size()}, request.version());
    other.keep_alive(request.keep_alive());
    int calls = 0;
    auto response = time_server::answer_scrape(other, [&] {
        ++calls;
        return std::string(fixed_metrics);
    });
    check(calls == 0, "metrics computed for another target");
    return response;
}

void check_answer(const scrape_request& request) {
    check(request.body().size() <= time_server::max_scrape_body_bytes, "a body over the limit was read");

    int calls = 0;
    const auto response = time_server::answer_scrape(request, [&] {
        ++calls;
        return std::string(fixed_metrics);
    });
    const auto method = request.method();
    const bool get_or_head = method == http::verb::get || method == http::verb::head;
    const bool head = method == http::verb::head;
    const bool metrics_target = view(request.target()) == "/metrics";
    const auto status = response.result();

    check(status == http::status::ok || status == http::status::not_found || status == http::status::method_not_allowed,
          "status other than 200, 404, 405");
    check((status == http::status::ok) == (get_or_head && metrics_target), "200 for other than GET/HEAD /metrics");
    check((status == http::status::method_not_allowed) == !get_or_head, "405 for other than a method not served");
    check(status != http::status::method_not_allowed || view(response[http::field::allow]) == "GET, HEAD",
          "405 without Allow: GET, HEAD");
    check(calls == (status == http::status::ok ? 1 : 0), "metrics computed for other than a 200");
    check(response.version() == request.version(), "response in another HTTP version");
    check(response.keep_alive() == request.keep_alive(), "keep-alive differs from the request's");

    if (head) {
        check(response.body().empty(), "HEAD with a body");
        // GET's answer to the same request: same status, headers and length.
        scrape_request as_get = request;
        as_get.method(http::verb::get);
        const auto get = time_server::answer_scrape(as_get, [] { return std::string(fixed_metrics); });
        check(get.result() == status, "HEAD and GET differ in status");
        check(content_length(response) == get.body().size(), "HEAD's Content-Length is not GET's body size");
        check(content_length(get) == get.body().size(), "GET's Content-Length is not its body size");
        check(view(response[http::field::content_type]) == view(get[http::field::content_type]),
              "HEAD and GET differ in Content-Type");
    } else {
        check(content_length(response) == response.body().size(), "Content-Length is not the body size");
    }
    if (status == http::status::ok) {
        check(response.body() == (head ? std::string_view() : fixed_metrics), "200 without the metrics text");
    }

    const auto wire = serialized(response);
    check_wire(wire, response, head);
    if (status != http::status::ok) {
        // Not the target, nor anything else the client sent: the very bytes
        // any other target would get.
        // (POST for any method not served: an unknown one cannot be built.)
        const auto other = serialized(canonical_answer(request, get_or_head ? method : http::verb::post));
        check(wire == other, "a non-200 response depends on the request's target");
        const auto target = view(request.target());
        check(target.empty() || !contains(response.body(), target) || contains(other, target),
              "the request target appears in a non-200 body");
        check(!contains(wire, fixed_metrics), "the metrics text in a non-200 response");
    }
}

void check_bad_request(const error_code& error) {
    check(error.category() == http::make_error_code(http::error::bad_method).category(),
          "a parse error outside Beast's HTTP category");
    const auto response = time_server::bad_scrape_request();
    check(response.result() == http::status::bad_request, "bad_scrape_request is not 400");
    check(!response.keep_alive(), "bad_scrape_request keeps the connection open");
    check(content_length(response) == response.body().size(), "400's Content-Length is not its body size");
    check_wire(serialized(response), response, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    // One connection: requests in sequence while the answers keep it open.
    while (!rest.empty()) {
        scrape_parser parser;
        time_server::limit_scrape_request(parser);
        parser.eager(true);
        const auto before = rest;
        const auto error = read_request(parser, rest);
        if (error == http::error::end_of_stream || error == http::error::partial_message) {
            return 0;  // the scraper hung up mid-request: nobody to answer
        }
        if (error) {
            check_bad_request(error);
            return 0;  // the endpoint answers 400 and closes
        }
        check(rest.size() < before.size(), "a request parsed from no bytes");
        // Beast wants CRLFs: the request line ends at the first, the headers
        // at the first empty line. Boost 1.81's Beast holds the request line
        // and the fields to the limit each (newer ones count both together,
        // which passes too), so that is what is checked.
        const auto consumed = before.substr(0, before.size() - rest.size());
        const auto first_crlf = consumed.find("\r\n");
        const auto empty_line = consumed.find("\r\n\r\n");
        check(first_crlf != std::string_view::npos && empty_line != std::string_view::npos,
              "a request parsed without the CRLFs that end its header");
        const auto request_line_end = first_crlf + 2;
        const auto header_end = empty_line + 4;
        check(request_line_end <= time_server::max_scrape_header_bytes, "a request line over the limit was read");
        check(header_end - request_line_end <= time_server::max_scrape_header_bytes,
              "headers over the limit were read");
        check_answer(parser.get());
        if (!parser.get().keep_alive()) {
            return 0;  // the response said Connection: close
        }
    }
    return 0;
}
