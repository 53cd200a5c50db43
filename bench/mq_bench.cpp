// mq_bench — the recharge flow of seed 001 on RabbitMQ and on Redis lists,
// and their delay queues, for `make bench` to set beside orderd's figures.
//
//   mq_bench rabbitmq PORT SECONDS [WINDOW=64]
//     durable queues "orders" and "results", persistent messages, publisher
//     confirms, manual acks. A producer publishes orders (at most WINDOW
//     unconfirmed); a worker consumes each, publishes its result to
//     "results" (confirmed) and only then acks the order; a result consumer
//     acks results. Orders/s end to end, publish-to-result p50/p99.
//   mq_bench redis PORT SECONDS [WINDOW=64]
//     the same on lists: LPUSH orders (pipelined, WINDOW in flight), worker
//     BRPOP + RPOP (batch) + LPUSH results, result consumer BRPOP + RPOP.
//     Durability comes from the server's appendfsync always.
//   mq_bench rabbitmq-delay PORT COUNT
//     COUNT persistent messages with a 30-minute per-message TTL into a
//     queue that dead-letters to "expired" (seed 002's delay queue), with
//     confirms: publish rate (memory is read by bench/run.sh).
//   mq_bench redis-delay PORT COUNT
//     ZADD of COUNT due times (pipelined): insert rate (memory via INFO).
//
// Prints one line of key=value figures. Loopback only, bounded time.
// Thread model: one thread per role, each with its own connection.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Latencies {
  std::mutex mu;
  std::vector<double> ms;
  std::atomic<uint64_t> done{0};
  void add(int64_t sent_ns) {
    const double ms_v = static_cast<double>(now_ns() - sent_ns) / 1e6;
    std::lock_guard lock(mu);
    ms.push_back(ms_v);
    done++;
  }
};

// ---------------------------------------------------------------- RabbitMQ

void amqp_check(amqp_rpc_reply_t r, const char* what) {
  if (r.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error(std::string("amqp: ") + what);
}

struct Amqp {
  amqp_connection_state_t conn = amqp_new_connection();
  explicit Amqp(int port) {
    amqp_socket_t* s = amqp_tcp_socket_new(conn);
    if (!s || amqp_socket_open(s, "127.0.0.1", port) != AMQP_STATUS_OK) throw std::runtime_error("amqp: connect");
    amqp_check(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(conn, 1);
    amqp_check(amqp_get_rpc_reply(conn), "channel");
  }
  ~Amqp() {
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
  }
  void declare(const char* q, amqp_table_t args = amqp_empty_table) {
    amqp_queue_declare(conn, 1, amqp_cstring_bytes(q), 0, 1, 0, 0, args);
    amqp_check(amqp_get_rpc_reply(conn), "queue.declare");
  }
  void confirms() {
    amqp_confirm_select(conn, 1);
    amqp_check(amqp_get_rpc_reply(conn), "confirm.select");
  }
  void publish(const char* q, const std::string& body, const char* expiration = nullptr) {
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    p.delivery_mode = 2;  // persistent
    if (expiration) {
      p._flags |= AMQP_BASIC_EXPIRATION_FLAG;
      p.expiration = amqp_cstring_bytes(expiration);
    }
    if (amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(q), 0, 0, &p,
                           amqp_bytes_t{body.size(), const_cast<char*>(body.data())}) != AMQP_STATUS_OK)
      throw std::runtime_error("amqp: publish");
  }
  // Waits for publisher confirms until `confirmed` reaches `target`.
  void wait_confirms(uint64_t& confirmed, uint64_t target) {
    while (confirmed < target) {
      amqp_frame_t f;
      if (amqp_simple_wait_frame(conn, &f) != AMQP_STATUS_OK) throw std::runtime_error("amqp: wait confirm");
      if (f.frame_type != AMQP_FRAME_METHOD) continue;
      if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        auto* ack = static_cast<amqp_basic_ack_t*>(f.payload.method.decoded);
        confirmed = ack->multiple ? std::max<uint64_t>(confirmed, ack->delivery_tag) : confirmed + 1;
      } else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
        throw std::runtime_error("amqp: publish nacked");
      }
    }
  }
  void consume(const char* q, uint16_t prefetch) {
    amqp_basic_qos(conn, 1, 0, prefetch, 0);
    amqp_basic_consume(conn, 1, amqp_cstring_bytes(q), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    amqp_check(amqp_get_rpc_reply(conn), "basic.consume");
  }
  // One delivery (body, tag) or false after timeout_ms.
  bool next(std::string& body, uint64_t& tag, int timeout_ms) {
    amqp_envelope_t env;
    amqp_maybe_release_buffers(conn);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    amqp_rpc_reply_t r = amqp_consume_message(conn, &env, &tv, 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) return false;
    body.assign(static_cast<char*>(env.message.body.bytes), env.message.body.len);
    tag = env.delivery_tag;
    amqp_destroy_envelope(&env);
    return true;
  }
  void ack(uint64_t tag, bool multiple) { amqp_basic_ack(conn, 1, tag, multiple); }
};

void rabbit_flow(int port, double seconds, int window) {
  {
    Amqp setup(port);
    setup.declare("orders");
    setup.declare("results");
    amqp_queue_purge(setup.conn, 1, amqp_cstring_bytes("orders"));
    amqp_queue_purge(setup.conn, 1, amqp_cstring_bytes("results"));
  }
  Latencies lat;
  std::atomic<bool> producing{true};
  std::atomic<uint64_t> published{0};
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  std::thread producer([&] {
    Amqp a(port);
    a.confirms();
    uint64_t sent = 0, confirmed = 0;
    while (Clock::now() < end) {
      a.publish("orders", "{\"account\":\"13800000000\",\"amount\":1000,\"t\":" + std::to_string(now_ns()) + "}");
      ++sent;
      if (sent - confirmed >= static_cast<uint64_t>(window)) a.wait_confirms(confirmed, sent - window / 2);
    }
    a.wait_confirms(confirmed, sent);
    published = sent;
    producing = false;
  });
  std::thread worker([&] {
    Amqp in(port), out(port);
    out.confirms();
    in.consume("orders", static_cast<uint16_t>(window * 4));
    uint64_t sent = 0, confirmed = 0;
    std::string body;
    uint64_t tag = 0;
    for (;;) {
      // Take what has arrived (up to a window), publish every result, wait
      // for their confirms, then ack the orders: a crash never loses one.
      int got = 0;
      uint64_t last_tag = 0;
      while (got < window && in.next(body, tag, got ? 0 : 200)) {
        auto t = body.find("\"t\":");
        out.publish("results", "{\"status\":\"success\",\"t\":" + body.substr(t + 4));
        ++sent, ++got, last_tag = tag;
      }
      if (got == 0) {
        if (!producing && lat.done.load() >= published.load()) break;
        continue;
      }
      out.wait_confirms(confirmed, sent);
      in.ack(last_tag, true);
    }
  });
  std::thread results([&] {
    Amqp a(port);
    a.consume("results", static_cast<uint16_t>(window * 4));
    std::string body;
    uint64_t tag = 0, unacked = 0;
    for (;;) {
      if (a.next(body, tag, 200)) {
        lat.add(std::atoll(body.c_str() + body.find("\"t\":") + 4));
        if (++unacked >= 32) a.ack(tag, true), unacked = 0;
      } else {
        if (unacked) a.ack(tag, true), unacked = 0;
        if (!producing && lat.done.load() >= published.load()) break;
      }
    }
  });
  const auto t0 = Clock::now();
  producer.join();
  worker.join();
  results.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("rabbitmq_orders_per_s=%.0f rabbitmq_p50_ms=%.2f rabbitmq_p99_ms=%.2f rabbitmq_orders=%llu\n",
              static_cast<double>(lat.done.load()) / s, pct(lat.ms, 0.5), pct(lat.ms, 0.99),
              static_cast<unsigned long long>(lat.done.load()));
}

void rabbit_delay(int port, uint64_t count) {
  Amqp a(port);
  amqp_table_entry_t e[2];
  e[0].key = amqp_cstring_bytes("x-dead-letter-exchange");
  e[0].value.kind = AMQP_FIELD_KIND_UTF8;
  e[0].value.value.bytes = amqp_cstring_bytes("");
  e[1].key = amqp_cstring_bytes("x-dead-letter-routing-key");
  e[1].value.kind = AMQP_FIELD_KIND_UTF8;
  e[1].value.value.bytes = amqp_cstring_bytes("expired");
  a.declare("expired");
  a.declare("delay", amqp_table_t{2, e});
  a.confirms();
  const auto t0 = Clock::now();
  uint64_t sent = 0, confirmed = 0;
  const auto budget = t0 + std::chrono::seconds(180);
  while (sent < count && Clock::now() < budget) {
    a.publish("delay", "{\"order_id\":\"po_" + std::to_string(sent) + "\"}", "1800000");
    ++sent;
    if (sent - confirmed >= 1000) a.wait_confirms(confirmed, sent - 500);
  }
  a.wait_confirms(confirmed, sent);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("rabbitmq_delay_published=%llu rabbitmq_delay_publish_per_s=%.0f\n", static_cast<unsigned long long>(sent),
              static_cast<double>(sent) / s);
}

// ---------------------------------------------------------------- Redis

redisContext* redis(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) throw std::runtime_error("redis: connect");
  return c;
}

redisReply* cmd(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> p;
  std::vector<size_t> l;
  for (auto& a : argv) p.push_back(a.data()), l.push_back(a.size());
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), p.data(), l.data()));
  if (!r) throw std::runtime_error("redis: command failed");
  return r;
}

// BRPOP one, then RPOP up to n-1 more: a batch of bodies (empty on timeout).
std::vector<std::string> pop_batch(redisContext* c, const char* list, int n) {
  std::vector<std::string> out;
  redisReply* r = cmd(c, {"BRPOP", list, "0.2"});
  if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) out.emplace_back(r->element[1]->str, r->element[1]->len);
  freeReplyObject(r);
  if (out.empty() || n <= 1) return out;
  r = cmd(c, {"RPOP", list, std::to_string(n - 1)});
  if (r->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
  freeReplyObject(r);
  return out;
}

void redis_flow(int port, double seconds, int window) {
  {
    redisContext* c = redis(port);
    freeReplyObject(cmd(c, {"DEL", "orders", "results"}));
    redisFree(c);
  }
  Latencies lat;
  std::atomic<bool> producing{true};
  std::atomic<uint64_t> published{0};
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  std::thread producer([&] {
    redisContext* c = redis(port);
    uint64_t sent = 0;
    while (Clock::now() < end) {
      for (int i = 0; i < window; ++i) {
        std::string body = "{\"account\":\"13800000000\",\"amount\":1000,\"t\":" + std::to_string(now_ns()) + "}";
        redisAppendCommand(c, "LPUSH orders %b", body.data(), body.size());
      }
      for (int i = 0; i < window; ++i) {
        void* r = nullptr;
        if (redisGetReply(c, &r) != REDIS_OK) throw std::runtime_error("redis: LPUSH");
        freeReplyObject(r);
      }
      sent += static_cast<uint64_t>(window);
    }
    published = sent;
    producing = false;
    redisFree(c);
  });
  std::thread worker([&] {
    redisContext* c = redis(port);
    for (;;) {
      auto batch = pop_batch(c, "orders", window);
      if (batch.empty()) {
        if (!producing && lat.done.load() >= published.load()) break;
        continue;
      }
      std::vector<std::string> argv = {"LPUSH", "results"};
      for (auto& b : batch) argv.push_back("{\"status\":\"success\",\"t\":" + b.substr(b.find("\"t\":") + 4));
      freeReplyObject(cmd(c, argv));
    }
    redisFree(c);
  });
  std::thread results([&] {
    redisContext* c = redis(port);
    for (;;) {
      auto batch = pop_batch(c, "results", window);
      for (auto& b : batch) lat.add(std::atoll(b.c_str() + b.find("\"t\":") + 4));
      if (batch.empty() && !producing && lat.done.load() >= published.load()) break;
    }
    redisFree(c);
  });
  const auto t0 = Clock::now();
  producer.join();
  worker.join();
  results.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("redis_orders_per_s=%.0f redis_p50_ms=%.2f redis_p99_ms=%.2f redis_orders=%llu\n",
              static_cast<double>(lat.done.load()) / s, pct(lat.ms, 0.5), pct(lat.ms, 0.99),
              static_cast<unsigned long long>(lat.done.load()));
}

void redis_delay(int port, uint64_t count) {
  redisContext* c = redis(port);
  freeReplyObject(cmd(c, {"DEL", "delay"}));
  const int64_t due0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count() + 1'800'000;
  const auto t0 = Clock::now();
  constexpr uint64_t kPipe = 1000;
  for (uint64_t i = 0; i < count; i += kPipe) {
    const uint64_t n = std::min(kPipe, count - i);
    for (uint64_t k = 0; k < n; ++k) {
      const std::string score = std::to_string(due0 + static_cast<int64_t>(i + k)), member = "po_" + std::to_string(i + k);
      redisAppendCommand(c, "ZADD delay %s %s", score.c_str(), member.c_str());
    }
    for (uint64_t k = 0; k < n; ++k) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK) throw std::runtime_error("redis: ZADD");
      freeReplyObject(r);
    }
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  redisReply* r = cmd(c, {"MEMORY", "USAGE", "delay", "SAMPLES", "0"});
  const long long bytes = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  freeReplyObject(r);
  std::printf("redis_delay_inserted=%llu redis_delay_insert_per_s=%.0f redis_delay_key_bytes=%lld\n",
              static_cast<unsigned long long>(count), static_cast<double>(count) / s, bytes);
  redisFree(c);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: mq_bench rabbitmq|redis PORT SECONDS [WINDOW] | rabbitmq-delay|redis-delay PORT COUNT\n");
    return 2;
  }
  const std::string mode = argv[1];
  const int port = std::atoi(argv[2]);
  try {
    if (mode == "rabbitmq") rabbit_flow(port, std::atof(argv[3]), argc > 4 ? std::atoi(argv[4]) : 64);
    else if (mode == "redis") redis_flow(port, std::atof(argv[3]), argc > 4 ? std::atoi(argv[4]) : 64);
    else if (mode == "rabbitmq-delay") rabbit_delay(port, std::strtoull(argv[3], nullptr, 10));
    else if (mode == "redis-delay") redis_delay(port, std::strtoull(argv[3], nullptr, 10));
    else return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mq_bench %s: %s\n", mode.c_str(), e.what());
    return 1;
  }
  return 0;
}
