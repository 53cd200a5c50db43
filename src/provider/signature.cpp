// signature.cpp — HMAC-SHA256 signing and strict verification of the
// Orderd-Signature header. See signature.h for the format and invariants.
#include "provider/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace orderd::provider {

namespace {

constexpr size_t kMaxHeaderBytes = 4096;  // far more than a dozen v1 entries
constexpr size_t kMaxTDigits = 15;         // unix seconds until year 33658: no overflow

Digest hmac_sha256(std::string_view secret, int64_t t, std::string_view body) {
  std::string message = std::to_string(t);
  message += '.';
  message.append(body);
  Digest out{};
  unsigned int len = 0;
  // An empty secret still needs a valid key pointer for some OpenSSL 3.0 builds.
  static const char kNoKey = 0;
  const void* key = secret.empty() ? &kNoKey : secret.data();
  HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

std::string to_hex(const Digest& d) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(d.size() * 2);
  for (unsigned char c : d) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error bad(std::string reason) { return Error::make(ErrorCode::kUnauthorized, "bad signature header: " + reason); }

Result<Digest> parse_v1(std::string_view hex) {
  if (hex.empty()) return bad("empty v1");
  if (hex.size() % 2 != 0) return bad("v1 has an odd number of hex digits");
  if (hex.size() != 64) return bad("v1 must be 64 hex digits, got " + std::to_string(hex.size()));
  Digest d{};
  for (size_t i = 0; i < d.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return bad("v1 is not hex");
    d[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return d;
}

Result<int64_t> parse_t(std::string_view digits) {
  if (digits.empty()) return bad("empty t");
  for (char c : digits)
    if (c < '0' || c > '9') return bad("t is not a number of seconds");
  if (digits.size() > kMaxTDigits) return bad("t is too large");
  int64_t t = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), t);  // cannot fail: checked above
  return t;
}

// A scheme key other than t/v1 that we ignore for forward compatibility: v<digits>.
bool is_other_scheme(std::string_view key) {
  if (key.size() < 2 || key[0] != 'v') return false;
  for (size_t i = 1; i < key.size(); ++i)
    if (key[i] < '0' || key[i] > '9') return false;
  return true;
}

}  // namespace

std::string sign(std::string_view secret, int64_t t, std::string_view body) {
  return "t=" + std::to_string(t) + ",v1=" + to_hex(hmac_sha256(secret, t, body));
}

Result<ParsedSignature> parse_signature(std::string_view header) {
  if (header.empty()) return bad("missing");
  if (header.size() > kMaxHeaderBytes) return bad("too long");
  ParsedSignature out;
  bool have_t = false;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view part = header.substr(pos, comma - pos);
    pos = comma + 1;
    if (part.empty()) return bad("empty part");
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return bad("part without '=': " + std::string(part.substr(0, 16)));
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "t") {
      if (have_t) return bad("t given twice");
      auto t = parse_t(value);
      if (!t) return t.error();
      out.t = *t;
      have_t = true;
    } else if (key == "v1") {
      auto d = parse_v1(value);
      if (!d) return d.error();
      out.v1.push_back(*d);
    } else if (!is_other_scheme(key)) {
      return bad("unknown key '" + std::string(key.substr(0, 16)) + "'");
    }
  }
  if (!have_t) return bad("missing t");
  if (out.v1.empty()) return bad("missing v1");
  return out;
}

Status verify_signature(std::string_view secret, std::string_view header, std::string_view body, int64_t now_s,
                        int64_t tolerance_s) {
  auto parsed = parse_signature(header);
  if (!parsed) return parsed.error();
  const Digest expected = hmac_sha256(secret, parsed->t, body);
  bool match = false;
  for (const Digest& d : parsed->v1)  // no early exit: every entry is compared
    match |= CRYPTO_memcmp(d.data(), expected.data(), expected.size()) == 0;
  if (!match) return Error::make(ErrorCode::kUnauthorized, "signature mismatch");
  const int64_t skew = now_s > parsed->t ? now_s - parsed->t : parsed->t - now_s;
  if (skew > tolerance_s)
    return Error::make(ErrorCode::kUnauthorized,
                       "timestamp outside tolerance (" + std::to_string(skew) + " s > " + std::to_string(tolerance_s) + " s)");
  return ok_status();
}

}  // namespace orderd::provider
