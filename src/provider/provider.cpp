// provider.cpp — names of the provider interface's enums (for logs and JSON).
#include "provider/provider.h"

namespace orderd::provider {

const char* to_string(CallOutcome o) {
  switch (o) {
    case CallOutcome::kOk: return "ok";
    case CallOutcome::kRetryable: return "retryable";
    case CallOutcome::kUnknown: return "unknown";
  }
  return "?";
}

const char* to_string(RechargeStatus s) {
  switch (s) {
    case RechargeStatus::kSuccess: return "success";
    case RechargeStatus::kFailed: return "failed";
    case RechargeStatus::kUnknown: return "unknown";
  }
  return "?";
}

}  // namespace orderd::provider
