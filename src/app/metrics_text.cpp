#include "app/metrics_text.h"

#include <sstream>

namespace orderd::app {

namespace {
void metric(std::ostringstream& out, const char* name, const char* type, const char* help, const std::string& value,
            const std::string& labels = "") {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
      << name << labels << ' ' << value << '\n';
}
std::string num(const nlohmann::json& j) { return j.is_number() ? j.dump() : "0"; }
}  // namespace

std::string metrics_text(const nlohmann::json& s) {
  std::ostringstream out;
  metric(out, "orderd_orders_created_total", "counter", "Orders created.", num(s["recharges"]["created_total"]),
         "{kind=\"recharge\"}");
  metric(out, "orderd_orders_finished_total", "counter", "Orders that reached a terminal state.",
         num(s["recharges"]["finished_total"]), "{kind=\"recharge\"}");
  out << "# HELP orderd_orders Orders by kind and status.\n# TYPE orderd_orders gauge\n";
  for (auto& [status, n] : s["recharges"]["by_status"].items())
    out << "orderd_orders{kind=\"recharge\",status=\"" << status << "\"} " << n.dump() << '\n';
  out << "# HELP orderd_queue_jobs Jobs by state.\n# TYPE orderd_queue_jobs gauge\n";
  for (const char* k : {"ready", "leased", "dead"}) out << "orderd_queue_jobs{state=\"" << k << "\"} " << num(s["queue"][k]) << '\n';
  metric(out, "orderd_timers_pending", "gauge", "Durable timers pending.", num(s["timers"]["pending"]));
  metric(out, "orderd_timers_fired_total", "counter", "Timers fired.", num(s["timers"]["fired_total"]));
  metric(out, "orderd_writer_batches_total", "counter", "Write batches committed (one fsync each).", num(s["writer"]["batches"]));
  metric(out, "orderd_writer_mutations_total", "counter", "Mutations applied by the writer.", num(s["writer"]["mutations"]));
  metric(out, "orderd_lmdb_used_bytes", "gauge", "Bytes of the LMDB map in use.", num(s["storage"]["used_bytes"]));
  metric(out, "orderd_lmdb_map_bytes", "gauge", "LMDB map size.", num(s["storage"]["map_bytes"]));
  return out.str();
}

}  // namespace orderd::app
