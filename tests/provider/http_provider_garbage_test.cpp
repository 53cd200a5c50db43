// HttpProvider against a tiny fake server that answers garbage: bad bodies,
// truncated answers, broken HTTP, silence. Writes end kUnknown, reads
// kRetryable (or kUnknown on a timeout); nothing crashes or throws.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <thread>

#include "provider/http_provider.h"
#include "provider_test_util.h"

using namespace orderd;
using namespace orderd::provider;
using namespace orderd::provider::test;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Reads one request (headers + Content-Length body), then writes `answer`
// verbatim and closes; with hang, it answers nothing and keeps the socket open.
class FakeServer {
 public:
  FakeServer(std::string answer, bool hang = false) : answer_(std::move(answer)), hang_(hang) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeServer() {
    io_.stop();
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    std::string buf;
    auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buf), "\r\n\r\n",
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    std::string head = buf.substr(0, n);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t length = 0;
    if (auto pos = head.find("content-length:"); pos != std::string::npos) length = std::stoul(head.substr(pos + 15));
    if (buf.size() - n < length)
      co_await asio::async_read(socket, asio::dynamic_buffer(buf), asio::transfer_exactly(length - (buf.size() - n)),
                                asio::as_tuple(asio::use_awaitable));
    if (hang_) {
      asio::steady_timer t(io_, std::chrono::seconds(30));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return;
    }
    co_await asio::async_write(socket, asio::buffer(answer_), asio::as_tuple(asio::use_awaitable));
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::string answer_;
  bool hang_;
  std::thread thread_;
};

std::string http_answer(int status, const std::string& body, const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
}

struct Outcomes {
  CallOutcome recharge, close, refund, query_recharge, query_payment;
};

Outcomes call_all(const std::string& base, DurationMs timeout = 1'000) {
  asio::io_context io;
  auto made = HttpProvider::create(io.get_executor(), base);
  REQUIRE(made.ok());
  auto& p = **made;
  Outcomes o;
  o.recharge = run_one(io, p.recharge("rc_1", "138", 100, timeout)).call;
  o.close = run_one(io, p.close_payment("o1", timeout)).call;
  o.refund = run_one(io, p.refund("rf_1", "o1", "pay_1", 100, timeout)).call;
  o.query_recharge = run_one(io, p.query_recharge("rc_1", timeout)).call;
  o.query_payment = run_one(io, p.query_payment("o1", timeout)).call;
  return o;
}

void check_writes_unknown_reads_retryable(const Outcomes& o) {
  CHECK(o.recharge == CallOutcome::kUnknown);
  CHECK(o.close == CallOutcome::kUnknown);
  CHECK(o.refund == CallOutcome::kUnknown);
  CHECK(o.query_recharge == CallOutcome::kRetryable);
  CHECK(o.query_payment == CallOutcome::kRetryable);
}

}  // namespace

TEST_CASE("http provider survives garbage bodies from a 2xx answer", "[provider][http_provider]") {
  for (const std::string body : {"", "hello", "{\"status\":", "[1,2]", "{\"status\":7}", "{\"status\":\"paid\"}",
                                 "{\"status\":\"success\"}{\"status\":\"failed\"}", "\x01\x02\xff"}) {
    INFO("body: " << body);
    FakeServer server(http_answer(200, body));
    auto o = call_all(server.base());
    // {"status":"success"} twice is not JSON; {"status":"paid"} lacks payment_id.
    check_writes_unknown_reads_retryable(o);
  }
}

TEST_CASE("http provider survives truncated and broken HTTP", "[provider][http_provider]") {
  SECTION("body shorter than Content-Length, then close") {
    FakeServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\":");
    check_writes_unknown_reads_retryable(call_all(server.base()));
  }
  SECTION("headers cut off") {
    FakeServer server("HTTP/1.1 200 OK\r\nContent-Le");
    check_writes_unknown_reads_retryable(call_all(server.base()));
  }
  SECTION("not HTTP at all") {
    FakeServer server("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    check_writes_unknown_reads_retryable(call_all(server.base()));
  }
  SECTION("closed without a byte") {
    FakeServer server("");
    check_writes_unknown_reads_retryable(call_all(server.base()));
  }
}

TEST_CASE("http provider maps error statuses from a fake server", "[provider][http_provider]") {
  SECTION("500 with an HTML body") {
    FakeServer server(http_answer(500, "<html>oops</html>"));
    check_writes_unknown_reads_retryable(call_all(server.base()));
  }
  SECTION("503 is retryable everywhere") {
    FakeServer server(http_answer(503, "", "Retry-After: 1\r\n"));
    auto o = call_all(server.base());
    CHECK(o.recharge == CallOutcome::kRetryable);
    CHECK(o.close == CallOutcome::kRetryable);
    CHECK(o.refund == CallOutcome::kRetryable);
    CHECK(o.query_recharge == CallOutcome::kRetryable);
    CHECK(o.query_payment == CallOutcome::kRetryable);
  }
  SECTION("a 2xx with the wrong call's answer") {
    FakeServer server(http_answer(200, R"({"status":"closed"})"));
    auto o = call_all(server.base());
    CHECK(o.recharge == CallOutcome::kUnknown);
    CHECK(o.refund == CallOutcome::kUnknown);
    CHECK(o.query_recharge == CallOutcome::kRetryable);
    CHECK(o.query_payment == CallOutcome::kRetryable);
    CHECK(o.close == CallOutcome::kOk);  // the right answer for close
  }
}

TEST_CASE("http provider: a silent server is a timeout, unknown", "[provider][http_provider]") {
  FakeServer server("", /*hang=*/true);
  asio::io_context io;
  auto p = HttpProvider::create(io.get_executor(), server.base());
  REQUIRE(p.ok());
  auto start = std::chrono::steady_clock::now();
  auto r = run_one(io, (*p)->recharge("rc_1", "138", 100, 200));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(200));
  CHECK(r.call == CallOutcome::kUnknown);
  CHECK(r.reason.find("timeout") != std::string::npos);
  CHECK(run_one(io, (*p)->query_recharge("rc_1", 200)).call == CallOutcome::kUnknown);
}
