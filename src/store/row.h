// row.h — a compact binary encoding for the hot rows (recharges, purchases, jobs,
// timers): varints, zigzag integers and length-prefixed strings, written
// and read in a fixed field order behind a one-byte format tag.
//
// Why: building an nlohmann::json and converting it to/from MessagePack was
// about 70% of the writer thread's instructions per recharge order
// (callgrind), and the writer thread is the one serial resource.
//
// Invariants:
//   (1) A row starts with its format tag (kRowFormat1). MessagePack never
//       starts a map with 0x01 (that is the positive fixint 1), so a reader
//       can tell a row from a legacy MessagePack row and still read the latter.
//   (2) RowReader never reads past its input and never throws: a truncated
//       or malformed row makes ok() false and yields zero values; callers
//       check ok() and done() once at the end.
//   (3) A row type's fields are listed once, in a template run by both
//       RowWriter (encode, on a const row) and RowReader (decode): field(),
//       list(), optional() and enumeration() have the same names on both, so
//       the two directions cannot drift apart. Signed integers are zigzag
//       varints, unsigned ones plain varints, a list is its count then its
//       elements, an optional a flag then its fields.
#pragma once
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "store/env.h"

namespace orderd::store {

inline constexpr uint8_t kRowFormat1 = 0x01;

// True for a format-1 row; false for a legacy MessagePack row (invariant 1).
inline bool is_row_format1(std::string_view bytes) {
  return !bytes.empty() && static_cast<uint8_t>(bytes[0]) == kRowFormat1;
}

class RowWriter {
 public:
  explicit RowWriter(uint8_t tag = kRowFormat1) { out_.push_back(static_cast<char>(tag)); }
  void u64(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void i64(int64_t v) { u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void boolean(bool b) { out_.push_back(b ? 1 : 0); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  void bytes_raw(std::string_view s) { out_.append(s); }  // the rest of the row, unprefixed
  std::string take() { return std::move(out_); }

  // Field lists (invariant 3).
  void field(const std::string& s) { str(s); }
  void field(bool b) { boolean(b); }
  template <std::integral T>
  void field(T v) {
    if constexpr (std::is_signed_v<T>) i64(v);
    else u64(v);
  }
  template <class E>
  void enumeration(E e, E /*last*/) {
    i64(static_cast<int64_t>(e));
  }
  template <class T, class Each>
  void list(const std::vector<T>& v, Each&& each) {
    u64(v.size());
    for (const T& x : v) each(*this, x);
  }
  template <class T, class Each>
  void optional(const std::optional<T>& o, Each&& each) {
    boolean(o.has_value());
    if (o) each(*this, *o);
  }

 private:
  std::string out_;
};

class RowReader {
 public:
  explicit RowReader(std::string_view in) : in_(in) {}
  // Reads the format tag; false (and !ok()) if it is not `tag`.
  bool tag(uint8_t expected = kRowFormat1) {
    if (pos_ >= in_.size() || static_cast<uint8_t>(in_[pos_]) != expected) return fail();
    ++pos_;
    return true;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail();
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      if (shift == 63 && b > 1) return fail();  // more than 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail();
  }
  // An element count: each element takes at least one byte, so a count above
  // the bytes left is malformed (and would otherwise make callers reserve).
  uint64_t count() {
    const uint64_t n = u64();
    if (n > in_.size() - pos_) return fail();
    return n;
  }
  int64_t i64() {
    const uint64_t z = u64();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  bool boolean() {
    if (pos_ >= in_.size()) return fail();
    const auto b = static_cast<uint8_t>(in_[pos_++]);
    if (b > 1) return fail();
    return b == 1;
  }
  std::string str() {
    const uint64_t n = u64();
    if (!ok_ || n > in_.size() - pos_) return fail(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::string_view rest() {  // the remaining bytes (see RowWriter::bytes_raw)
    auto r = in_.substr(pos_);
    pos_ = in_.size();
    return r;
  }
  // Field lists (invariant 3).
  void field(std::string& s) { s = str(); }
  void field(bool& b) { b = boolean(); }
  template <std::integral T>
  void field(T& v) {
    if constexpr (std::is_signed_v<T>) v = static_cast<T>(i64());
    else v = static_cast<T>(u64());
  }
  // An enumeration with values 0..last; anything else fails the row.
  template <class E>
  void enumeration(E& e, E last) {
    const int64_t v = i64();
    if (v < 0 || v > static_cast<int64_t>(last)) fail();
    e = ok_ ? static_cast<E>(v) : E{};
  }
  template <class T, class Each>
  void list(std::vector<T>& v, Each&& each) {
    const uint64_t n = count();
    v.clear();
    v.reserve(n);
    for (uint64_t i = 0; i < n && ok_; ++i) each(*this, v.emplace_back());
  }
  template <class T, class Each>
  void optional(std::optional<T>& o, Each&& each) {
    o.reset();
    if (boolean()) each(*this, o.emplace());
  }

  bool ok() const { return ok_; }
  // Every byte consumed and nothing malformed.
  bool done() const { return ok_ && pos_ == in_.size(); }

 private:
  int fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// A row type's codec from its field list `fields(io, row)` (invariant 3).
template <class Row, class Fields>
std::string encode_fields(const Row& row, Fields&& fields) {
  RowWriter w;
  fields(w, row);
  return w.take();
}

// Decodes a format-1 row with `fields`, or hands a legacy MessagePack row
// (invariant 1) to from_legacy(json). nullopt for a cut, extended or
// malformed row.
template <class Row, class Fields, class FromLegacy>
std::optional<Row> decode_fields(std::string_view bytes, Fields&& fields, FromLegacy&& from_legacy) {
  if (!is_row_format1(bytes)) {
    auto j = decode(bytes);  // a row written before format 1
    if (!j) return std::nullopt;
    return from_legacy(*j);
  }
  RowReader in(bytes);
  in.tag();
  Row row;
  fields(in, row);
  if (!in.done()) return std::nullopt;
  return row;
}

// A free-form JSON payload at the end of a row: a flag, then MessagePack;
// just the flag for the usual {}. (jobs and timers)
inline void put_payload_tail(RowWriter& w, const Json& payload) {
  const bool has = !(payload.is_object() && payload.empty());
  w.boolean(has);
  if (has) w.bytes_raw(encode(payload));
}

// Reads what put_payload_tail wrote, which must end the row. False if the
// reader failed before it or the tail is malformed.
inline bool get_payload_tail(RowReader& in, Json* out) {
  const bool has = in.boolean();
  if (!in.ok()) return false;
  const std::string_view rest = in.rest();
  if (has != !rest.empty()) return false;
  if (!has) {
    *out = Json::object();
    return true;
  }
  auto j = decode(rest);
  if (!j) return false;
  *out = std::move(*j);
  return true;
}

}  // namespace orderd::store
