// The process-wide state behind runtime.hpp: the Ctrl-C check, polled at most every ~0.1 s per
// thread, and the flag set in a child after fork(). Compiled once, for the baseline ISA.
#include "kmix/runtime.hpp"

#include <chrono>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define KMIX_HAVE_ATFORK 1
#endif

namespace kmix {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kInterval = std::chrono::milliseconds(100);

std::atomic<InterruptCheck> g_check{nullptr};
// When this thread next runs the check: each thread that calls into kmix keeps its own rhythm.
thread_local Clock::time_point t_next{};

std::atomic<bool> g_forked{false};
#ifdef KMIX_HAVE_ATFORK
void mark_child() { g_forked.store(true); }
// Registered when the library is loaded, so before any fork made after importing kmix.
const int g_atfork_registered = pthread_atfork(nullptr, nullptr, &mark_child);
#endif

}  // namespace

void set_interrupt_check(InterruptCheck check) { g_check.store(check); }

void start_interrupt_clock() { t_next = Clock::now() + kInterval; }

bool interrupt_requested() {
  const InterruptCheck check = g_check.load(std::memory_order_relaxed);
  if (!check) return false;
  const Clock::time_point now = Clock::now();
  if (now < t_next) return false;
  t_next = now + kInterval;
  return check();
}

bool in_forked_child() { return g_forked.load(std::memory_order_relaxed); }

const char* Interrupted::what() const noexcept { return "interrupted"; }
Interrupted::~Interrupted() = default;

}  // namespace kmix
