// metrics_text.h — Prometheus text exposition of the engine's figures.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace orderd::app {
// Renders the /v1/stats object as orderd_* metrics.
std::string metrics_text(const nlohmann::json& stats);
}  // namespace orderd::app
