// request_path.cpp — parser settings, refusals and routing shared by the
// sessions, and the socket-free read over a byte string (request_path.h).
#include "http/request_path.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cctype>

#include "http/beast_request.h"

namespace orderd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

// A SyncReadStream over a byte string: hands out the bytes, then EOF, as a
// peer that sent them and closed its sending side.
class BytesStream {
 public:
  explicit BytesStream(std::string_view bytes) : rest_(bytes) {}
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, beast::error_code& ec) {
    if (rest_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    size_t n = asio::buffer_copy(buffers, asio::buffer(rest_.data(), rest_.size()));
    rest_.remove_prefix(n);
    return n;
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    beast::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }
  size_t remaining() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

}  // namespace

void apply_limits(RequestParser& parser, const RequestLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  parser.body_limit(limits.body_limit);
}

std::optional<Response> refusal_for(const beast::error_code& ec, const RequestLimits& limits) {
  if (ec == bhttp::error::body_limit)
    return problem(413, "request body is over the limit of " + std::to_string(limits.body_limit) + " bytes");
  if (ec == bhttp::error::header_limit)
    return problem(431, "request headers are over " + std::to_string(limits.header_limit / 1024) + " KiB");
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
    return problem(400, "malformed HTTP request: " + ec.message());
  return std::nullopt;
}

Request to_request(BeastRequest&& message, std::string remote) {
  Request req;
  req.method = std::string(message.method_string());
  req.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = req.headers.emplace(std::move(name), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());  // repeated header: list form
  }
  req.body = std::move(message.body());
  req.remote = std::move(remote);
  return req;
}

// Mirrors Server::Impl::read_request: the header under the limits, then the
// body unless the header completed the message (no 100 Continue to send).
Intake read_request_bytes(std::string_view bytes, const RequestLimits& limits) {
  Intake out;
  BytesStream stream(bytes);
  beast::flat_buffer buffer;
  RequestParser parser;
  apply_limits(parser, limits);
  beast::error_code ec;
  bhttp::read_header(stream, buffer, parser, ec);
  if (!ec && !parser.is_done()) bhttp::read(stream, buffer, parser, ec);
  if (ec) {
    out.refusal = refusal_for(ec, limits);
    out.kind = out.refusal ? Intake::Kind::kRefused : Intake::Kind::kIncomplete;
    return out;
  }
  out.kind = Intake::Kind::kRequest;
  out.version = parser.get().version();
  out.keep_alive = parser.get().keep_alive();
  out.consumed = bytes.size() - stream.remaining() - buffer.size();
  out.request = to_request(parser.release(), "");
  return out;
}

Routed route_request(const Router& router, Request& req) {
  Routed out;
  if (Status parsed = parse_target(req); !parsed) {
    out.refusal = problem(400, parsed.error().message);
    return out;
  }
  std::string allow;
  out.route = router.match_route(req, &allow);
  if (out.route != nullptr) return out;
  if (allow.empty()) {
    out.refusal = problem(404, "no resource at " + req.path);
  } else {
    out.refusal = problem(405, req.method + " is not allowed on " + req.path + "; allowed: " + allow);
    out.refusal->headers.emplace_back("Allow", allow);
  }
  return out;
}

}  // namespace orderd::http
