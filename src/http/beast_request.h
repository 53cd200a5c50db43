// beast_request.h — the Beast side of the request path, shared by the socket
// sessions (server.cpp) and the socket-free path (request_path.cpp), so both
// parse with the same settings. Included only by those two files: handlers
// never see Beast (types.h).
//
// Thread: pure functions; safe from any thread.
#pragma once
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>

#include "http/request_path.h"
#include "http/types.h"

namespace orderd::http {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Applies the server's header and body limits to a fresh parser.
void apply_limits(RequestParser& parser, const RequestLimits& limits);

// The answer to a failed read, or nullopt to close silently (peer gone,
// deadline passed, connection closed between requests).
std::optional<Response> refusal_for(const boost::beast::error_code& ec, const RequestLimits& limits);

// The plain Request of a parsed message: header names lower-cased, a
// repeated header joined with ", ". path/query/params are left empty.
Request to_request(BeastRequest&& message, std::string remote);

}  // namespace orderd::http
