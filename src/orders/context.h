// context.h — what order services share: the writer, the durable queue and
// timers, the clock, and the hook that wakes long polls after a change.
// apply_effects() is the one place a decision's effects become rows.
//
// Thread: apply_effects and the table helpers run on the writer thread
// inside a WriteTxn.
#pragma once
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "orders/effects.h"
#include "queue/jobs.h"
#include "store/writer.h"
#include "timer/timers.h"

namespace orderd::orders {

struct Context {
  store::Writer& writer;
  queue::JobStore& jobs;
  timer::TimerStore& timers;
  const Clock& clock;
  // Runs after the commit of any change to order `id` (writer thread: cheap).
  std::function<void(const std::string& id)> on_change;
};

// Applies effects inside the caller's txn. Errors: the txn's write errors.
[[nodiscard]] Status apply_effects(Context& ctx, store::WriteTxn& txn, const Effects& effects, TimeMs now);

// The answer of a mutating request: HTTP status and body; `replayed` when
// it came from an Idempotency-Key record.
struct CreateAnswer {
  int status = 202;
  Json body;
  bool replayed = false;
};

// Needs-attention list (table `attention`).
struct AttentionItem {
  std::string order_id, kind, detail;
  TimeMs since = 0;
};
std::vector<AttentionItem> list_attention(const store::Txn& txn, size_t limit);

// Idempotency-Key records (table `idem`): the first answer to a creating POST.
struct IdemRecord {
  std::string body_hash;  // hex SHA-256 of the request body
  int status = 0;
  std::string body;       // the answer's JSON text
  TimeMs at = 0;
};
std::optional<IdemRecord> find_idem(const store::Txn& txn, const std::string& scope, const std::string& key);
[[nodiscard]] Status save_idem(store::WriteTxn& txn, const std::string& scope, const std::string& key, const IdemRecord& rec);
std::string sha256_hex(std::string_view data);

// "rc_" + 16 lower-case hex digits of a writer id: sorts in creation order.
std::string make_order_id(const char* prefix, uint64_t id);

}  // namespace orderd::orders
