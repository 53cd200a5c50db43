// row_test.cpp — store/row.h: varint and zigzag edges, strings, and a reader
// that refuses (never overreads) truncated, overlong or mistagged input.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/row.h"

using orderd::store::RowReader;
using orderd::store::RowWriter;

TEST_CASE("row codec: integers, booleans and strings round-trip at their edges", "[store][row]") {
  RowWriter w;
  const uint64_t us[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, std::numeric_limits<uint64_t>::max()};
  const int64_t is[] = {0, -1, 1, -64, 64, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (auto u : us) w.u64(u);
  for (auto i : is) w.i64(i);
  w.boolean(true);
  w.boolean(false);
  w.str("");
  w.str(std::string("a\0b", 3));
  w.str(std::string(300, 'z'));
  const std::string row = w.take();

  RowReader r(row);
  REQUIRE(r.tag());
  for (auto u : us) CHECK(r.u64() == u);
  for (auto i : is) CHECK(r.i64() == i);
  CHECK(r.boolean());
  CHECK_FALSE(r.boolean());
  CHECK(r.str().empty());
  CHECK(r.str() == std::string("a\0b", 3));
  CHECK(r.str() == std::string(300, 'z'));
  CHECK(r.done());
}

TEST_CASE("row codec: malformed input makes the reader fail, not overread", "[store][row]") {
  SECTION("wrong tag") {
    const std::string row("\x82\xa1", 2);
    RowReader r(row);
    CHECK_FALSE(r.tag());
    CHECK_FALSE(r.ok());
  }
  SECTION("a string longer than the row") {
    RowWriter w;
    w.u64(1000);
    std::string row = w.take() + "short";
    RowReader r(row);
    r.tag();
    CHECK(r.str().empty());
    CHECK_FALSE(r.ok());
  }
  SECTION("a varint of more than 64 bits") {
    const std::string row("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11);
    RowReader r(row);
    r.tag();
    CHECK(r.u64() == 0);
    CHECK_FALSE(r.ok());
  }
  SECTION("a boolean byte other than 0 or 1") {
    const std::string row("\x01\x07", 2);
    RowReader r(row);
    r.tag();
    r.boolean();
    CHECK_FALSE(r.ok());
  }
  SECTION("reading past the end") {
    const std::string row("\x01", 1);
    RowReader r(row);
    r.tag();
    CHECK(r.ok());
    CHECK(r.i64() == 0);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.done());
  }
}

namespace {
enum class Colour { kRed, kGreen, kBlue };
struct Part {
  std::string name;
  int64_t qty = 0;
};
struct Sample {
  uint64_t version = 0;
  int small = 0;
  bool flag = false;
  Colour colour = Colour::kRed;
  std::vector<Part> parts;
  std::optional<Part> spare;
};
// One field list for both directions, as the hot rows use it.
template <class IO, class S>
void sample_fields(IO& io, S& s) {
  io.field(s.version);
  io.field(s.small);
  io.field(s.flag);
  io.enumeration(s.colour, Colour::kBlue);
  io.list(s.parts, [](IO& io, auto& p) {
    io.field(p.name);
    io.field(p.qty);
  });
  io.optional(s.spare, [](IO& io, auto& p) {
    io.field(p.name);
    io.field(p.qty);
  });
}
}  // namespace

TEST_CASE("row field lists: one list encodes and decodes lists, optionals and enumerations", "[store][row]") {
  Sample s{UINT64_MAX, -7, true, Colour::kBlue, {{"a", -1}, {"bb", INT64_MIN}}, Part{"spare", 3}};
  orderd::store::RowWriter w;
  sample_fields(w, std::as_const(s));
  const std::string bytes = w.take();

  orderd::store::RowReader in(bytes);
  REQUIRE(in.tag());
  Sample back;
  back.parts = {{"stale", 9}};  // a reader replaces what was there
  sample_fields(in, back);
  REQUIRE(in.done());
  CHECK(back.version == UINT64_MAX);
  CHECK(back.small == -7);
  CHECK(back.flag);
  CHECK(back.colour == Colour::kBlue);
  REQUIRE(back.parts.size() == 2);
  CHECK(back.parts[1].name == "bb");
  CHECK(back.parts[1].qty == INT64_MIN);
  REQUIRE(back.spare);
  CHECK(back.spare->qty == 3);

  // An enumeration value beyond `last` fails the row.
  orderd::store::RowWriter bad;
  bad.u64(1);
  bad.i64(0);
  bad.boolean(false);
  bad.i64(3);  // Colour has 0..2
  bad.u64(0);
  bad.boolean(false);
  const std::string bad_bytes = bad.take();
  orderd::store::RowReader bad_in(bad_bytes);
  REQUIRE(bad_in.tag());
  Sample ignored;
  sample_fields(bad_in, ignored);
  CHECK_FALSE(bad_in.ok());
}
