#pragma once
// Names the calling thread (15 characters at most, as Linux keeps them), so
// `top -H`, `perf` and /proc/PID/task/*/comm tell the writer from the timer
// thread from the HTTP threads.
#include <pthread.h>

namespace orderd {

inline void set_thread_name(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace orderd
