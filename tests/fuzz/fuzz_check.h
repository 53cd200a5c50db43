// fuzz_check.h — FUZZ_CHECK(cond): a property the fuzz targets assert on
// every input. A violation prints the condition and aborts, which libFuzzer
// reports as a crash and saves the input as an artifact (like an ASan or
// UBSan finding).
#pragma once
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
