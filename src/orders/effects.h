// effects.h — what a decision asks the engine to do, as data (GUIDE: "decisions
// are pure, effects are data"). The engine applies a decision's new state and
// all its effects in one LMDB write transaction, so a timer or job commits
// together with the state change that caused it.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "orders/stock.h"

namespace orderd::orders {

using Json = nlohmann::json;

// Put a job on the durable queue, runnable at not_before (now = at once).
struct EnqueueJob {
  std::string type;      // "rc_attempt", "rc_query", "rc_webhook", ...
  std::string order_id;  // the business key the job acts on
  TimeMs not_before = 0;
  Json payload = Json::object();
};

// Create (or replace) the durable timer with this key.
struct ScheduleTimer {
  std::string kind;  // "rc_deadline", ...
  std::string key;   // unique among pending timers
  TimeMs due_ms = 0;
  Json payload = Json::object();
};

struct CancelTimer {
  std::string key;
};

// Put the order on the needs-attention list (idempotent per order and kind).
struct FlagAttention {
  std::string order_id;
  std::string kind;  // "recharge_timed_out", "late_result", ...
  std::string detail;
};

// Take the order off the needs-attention list for this kind.
struct ClearAttention {
  std::string order_id;
  std::string kind;
};

// Stock movements of one purchase order (stock.h does the arithmetic, all
// lines or none). Keyed by order id: the engine applies each at most once
// per order (the decision emits it only on the state change that causes it).
struct ReleaseStock {  // reserved → available (order closed)
  std::string order_id;
  std::vector<StockLine> lines;
};
struct CommitStock {  // reserved → sold (commit_stock step)
  std::string order_id;
  std::vector<StockLine> lines;
};
struct ReturnStock {  // sold → available (order refunded)
  std::string order_id;
  std::vector<StockLine> lines;
};

// Add `points` to the user's balance (award_points step).
struct AwardPoints {
  std::string order_id;
  std::string user;
  int64_t points = 0;
};
// Take back points awarded for this order (refund).
struct RevokePoints {
  std::string order_id;
  std::string user;
  int64_t points = 0;
};

using Effect = std::variant<EnqueueJob, ScheduleTimer, CancelTimer, FlagAttention, ClearAttention, ReleaseStock,
                            CommitStock, ReturnStock, AwardPoints, RevokePoints>;
using Effects = std::vector<Effect>;

// What a decision comes to: whether the order changed, and the effects to
// apply with it in the same transaction.
struct Decision {
  bool changed = false;  // false: nothing to write (duplicate/stale event)
  Effects effects;
};

}  // namespace orderd::orders
