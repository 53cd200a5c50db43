// client.cpp — HTTP/1.1 client over Beast (one of the two files that include
// Beast). See client.h for the API.
//
// Thread model: each connection is a tcp_stream on its own strand, and every
// exchange on it runs as a coroutine spawned on that strand (Beast's timer
// needs a strand when io_context runs on several threads); the caller's
// coroutine awaits it and resumes on its own executor. The idle pool is the
// only shared state, behind a mutex.
// Invariants:
//   (1) One deadline covers connect + write + read (tcp_stream::expires_at).
//   (2) A connection enters the idle pool only after a complete answer with
//       keep-alive, no leftover bytes, and its deadline cleared.
//   (3) A reused connection that fails before any byte of an answer arrived
//       (the peer closed it while idle) is retried once on a fresh one; a
//       fresh connection is never retried.
//   (4) request() never throws: every failure is an Error value.
#include "http/client.h"

#include <cctype>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>

namespace orderd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Deadline = std::chrono::steady_clock::time_point;
using Message = bhttp::request<bhttp::string_body>;

namespace {

constexpr size_t kResponseBodyLimit = 1 << 20;  // 1 MiB
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// The result of one exchange on one connection.
struct Outcome {
  std::optional<Result<ClientResponse>> result;  // nullopt: dead reused connection, retry (invariant 3)
  bool reusable = false;
};

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

}  // namespace

struct Client::Impl {
  asio::any_io_executor ex;
  std::string host;
  std::string port;
  std::string prefix;       // "" or "/base", no trailing '/'
  std::string host_header;  // "host:port"
  size_t max_idle = 0;

  std::mutex mu;
  std::vector<std::unique_ptr<beast::tcp_stream>> idle;  // guarded by mu; most recent last

  std::unique_ptr<beast::tcp_stream> take_idle() {
    std::lock_guard lock(mu);
    if (idle.empty()) return nullptr;
    auto stream = std::move(idle.back());
    idle.pop_back();
    return stream;
  }
  void put_idle(std::unique_ptr<beast::tcp_stream> stream) {
    std::lock_guard lock(mu);
    if (idle.size() < max_idle) idle.push_back(std::move(stream));
  }
  std::string where() const { return host + ":" + port; }

  asio::awaitable<Status> connect(beast::tcp_stream& stream, Deadline deadline);
  asio::awaitable<Outcome> exchange(beast::tcp_stream& stream, const Message& message, Deadline deadline,
                                    bool reused);
};

// Errors: kUnavailable (cannot resolve, refused, unreachable, or no connection
// within the deadline: the request was not sent, so it did not happen).
asio::awaitable<Status> Client::Impl::connect(beast::tcp_stream& stream, Deadline deadline) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  std::vector<tcp::endpoint> endpoints;
  if (!ec) {
    endpoints.emplace_back(address, static_cast<unsigned short>(std::stoul(port)));
  } else {
    tcp::resolver resolver(stream.get_executor());
    auto [resolve_ec, results] = co_await resolver.async_resolve(host, port, kTuple);
    if (resolve_ec) co_return Error::make(ErrorCode::kUnavailable, "cannot resolve " + where() + ": " + resolve_ec.message());
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  stream.expires_at(deadline);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
  if (connect_ec == beast::error::timeout)
    co_return Error::make(ErrorCode::kUnavailable, "connect to " + where() + " timed out (request not sent)");
  if (connect_ec)
    co_return Error::make(ErrorCode::kUnavailable, "cannot connect to " + where() + ": " + connect_ec.message());
  co_return ok_status();
}

asio::awaitable<Outcome> Client::Impl::exchange(beast::tcp_stream& stream, const Message& message,
                                                Deadline deadline, bool reused) {
  auto fail = [](ErrorCode code, std::string text) { return Outcome{Result<ClientResponse>(Error::make(code, std::move(text))), false}; };
  if (!reused) {
    Status connected = co_await connect(stream, deadline);
    if (!connected) co_return Outcome{Result<ClientResponse>(connected.error()), false};
  }
  stream.expires_at(deadline);
  auto [write_ec, written] = co_await bhttp::async_write(stream, message, kTuple);
  if (write_ec == beast::error::timeout) co_return fail(ErrorCode::kTimeout, "sending to " + where() + " timed out");
  if (write_ec && reused) co_return Outcome{};
  if (write_ec) co_return fail(ErrorCode::kIo, "connection to " + where() + " lost while sending: " + write_ec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  stream.expires_at(deadline);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
  if (read_ec == beast::error::timeout)
    co_return fail(ErrorCode::kTimeout, "no complete answer from " + where() + " in time (outcome unknown)");
  if (read_ec == bhttp::error::body_limit) co_return fail(ErrorCode::kMalformed, "answer from " + where() + " is over 1 MiB");
  if (read_ec && is_http_parse_error(read_ec))
    co_return fail(ErrorCode::kMalformed, "unparseable answer from " + where() + ": " + read_ec.message());
  if (read_ec && reused && !parser.got_some() && buffer.size() == 0) co_return Outcome{};
  if (read_ec)
    co_return fail(ErrorCode::kIo, "connection to " + where() + " lost before the answer (outcome unknown): " + read_ec.message());

  auto& response = parser.get();
  ClientResponse answer;
  answer.status = static_cast<int>(response.result_int());
  answer.body = std::move(response.body());
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = answer.headers.emplace(std::move(name), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  Outcome out{Result<ClientResponse>(std::move(answer)), response.keep_alive() && !parser.need_eof() && buffer.size() == 0};
  if (out.reusable) stream.expires_never();
  co_return out;
}

Result<std::shared_ptr<Client>> Client::create(asio::any_io_executor ex, const std::string& base_url,
                                               size_t max_idle) {
  auto invalid = [&] { return Error::invalid("url", "url must be http://HOST:PORT[/prefix], got \"" + base_url + "\""); };
  const std::string scheme = "http://";
  if (base_url.rfind(scheme, 0) != 0) return invalid();
  std::string rest = base_url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.find_first_of("?#") != std::string::npos) return invalid();

  auto impl = std::make_unique<Impl>();
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos || authority.find(']', colon) != std::string::npos) return invalid();
  impl->host = authority.substr(0, colon);
  impl->port = authority.substr(colon + 1);
  if (!impl->host.empty() && impl->host.front() == '[' && impl->host.back() == ']')
    impl->host = impl->host.substr(1, impl->host.size() - 2);
  bool port_ok = !impl->port.empty() && impl->port.size() <= 5 &&
                 impl->port.find_first_not_of("0123456789") == std::string::npos && std::stoul(impl->port) <= 65535;
  if (impl->host.empty() || !port_ok) return invalid();
  impl->ex = std::move(ex);
  impl->prefix = std::move(prefix);
  impl->host_header = authority;
  impl->max_idle = max_idle;
  return std::shared_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() = default;

asio::awaitable<Result<ClientResponse>> Client::request(std::string method, std::string target, std::string body,
                                                        std::vector<std::pair<std::string, std::string>> headers,
                                                        DurationMs timeout) {
  try {
    const Deadline deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
    Message message;
    if (auto verb = bhttp::string_to_verb(method); verb != bhttp::verb::unknown) message.method(verb);
    else message.method_string(method);
    message.target(impl_->prefix + target);
    message.version(11);
    message.set(bhttp::field::host, impl_->host_header);
    message.set(bhttp::field::user_agent, "orderd/" ORDERD_VERSION);
    for (auto& [name, value] : headers) message.insert(name, value);
    if (!body.empty() && message.find(bhttp::field::content_type) == message.end())
      message.set(bhttp::field::content_type, "application/json");
    message.body() = std::move(body);
    message.keep_alive(true);
    message.prepare_payload();

    auto stream = impl_->take_idle();
    bool reused = stream != nullptr;
    for (;;) {
      if (!stream) stream = std::make_unique<beast::tcp_stream>(asio::make_strand(impl_->ex));
      Outcome out = co_await asio::co_spawn(stream->get_executor(), impl_->exchange(*stream, message, deadline, reused),
                                            asio::use_awaitable);
      if (!out.result) {  // invariant 3: the idle connection was dead; once more on a fresh one
        stream.reset();
        reused = false;
        continue;
      }
      if (out.reusable) impl_->put_idle(std::move(stream));
      co_return std::move(*out.result);
    }
  } catch (const std::exception& e) {
    co_return Error::make(ErrorCode::kInternal, std::string("http client: ") + e.what());
  }
}

}  // namespace orderd::http
