// metrics_http.cpp - routing of the one path the endpoint serves.
#include "metrics_http.hpp"

#include "metrics_text.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

namespace time_server {

namespace http = boost::beast::http;

namespace {

scrape_response plain(http::status status, unsigned version, std::string body) {
    scrape_response response(status, version);
    response.set(http::field::server, "time_server");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

}  // namespace

void limit_scrape_request(scrape_parser& parser) {
    parser.header_limit(max_scrape_header_bytes);
    parser.body_limit(max_scrape_body_bytes);
}

scrape_response answer_scrape(const scrape_request& request, const std::function<std::string()>& metrics) {
    const bool head = request.method() == http::verb::head;
    scrape_response response;
    if (request.method() != http::verb::get && !head) {
        response = plain(http::status::method_not_allowed, request.version(), "Only GET and HEAD are served.\n");
        response.set(http::field::allow, "GET, HEAD");
    } else if (request.target() != "/metrics") {
        // Not the client's target echoed back: nothing a client sends is ever written out.
        response = plain(http::status::not_found, request.version(), "Not found: metrics are at /metrics.\n");
    } else {
        response = plain(http::status::ok, request.version(), metrics());
        response.set(http::field::content_type, metrics_content_type);
    }
    response.keep_alive(request.keep_alive());
    if (head) {
        // The headers a GET would get, Content-Length included, and no body.
        const auto length = response.body().size();
        response.body().clear();
        response.content_length(length);
    }
    return response;
}

scrape_response bad_scrape_request() {
    auto response = plain(http::status::bad_request, 11, "Bad request.\n");
    response.keep_alive(false);
    return response;
}

}  // namespace time_server
