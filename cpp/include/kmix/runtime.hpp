// What a kernel needs to know about the process it runs in: whether the user pressed Ctrl-C,
// and whether this is a child made by fork(). Both live in runtime.cpp, compiled once (baseline);
// kernels of every ISA level call these out-of-line functions.
#pragma once
#include <atomic>
#include <exception>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace kmix {

// Thrown (outside any parallel region) when a loop stops for Ctrl-C. The bindings turn it into
// the Python exception the signal handler raised (KeyboardInterrupt).
struct Interrupted : std::exception {
  // Defined in runtime.cpp (compiled at the baseline level), not inline: an inline member would be
  // emitted by every ISA object, and the linker could keep the AVX-512 copy for every caller.
  const char* what() const noexcept override;
  ~Interrupted() override;
};

// The Python module installs the check: it takes the GIL and runs Python's signal handlers
// (PyErr_CheckSignals), true if one raised. Null: nothing to check (plain C++ use).
using InterruptCheck = bool (*)();
void set_interrupt_check(InterruptCheck check);

// Starts this thread's ~0.1 s rhythm: the bindings call it as they release the GIL, so a short call
// (a one-row predict) never pays for the check.
void start_interrupt_clock();

// True once the user asked to stop. Call it only on the thread that called into kmix (thread 0
// of a parallel region): it runs the check at most every ~0.1 s (a clock read otherwise), so it
// may be called once per block of work.
bool interrupt_requested();

// interrupt_requested(), thrown: for loops outside parallel regions.
inline void check_interrupt() {
  if (interrupt_requested()) throw Interrupted();
}

// True in a child process made by fork() (an atfork handler sets it). GNU OpenMP's thread pool
// does not survive fork: a parallel region of two or more threads in the child waits forever
// for threads that do not exist there, so kmix runs one thread in such a child.
bool in_forked_child();

// A parallel loop over blocks that Ctrl-C can stop: every thread calls stop() before a block and
// skips it if true; thread 0 (the caller's thread) polls for the interrupt. After the loop (outside
// the region), rethrow() throws Interrupted if the loop stopped.
class StopFlag {
 public:
  bool stop() {
    if (stopped_.load(std::memory_order_relaxed)) return true;
#ifdef _OPENMP
    if (omp_get_thread_num() != 0) return false;
#endif
    if (!interrupt_requested()) return false;
    stopped_.store(true, std::memory_order_relaxed);
    return true;
  }
  void rethrow() const {
    if (stopped_.load(std::memory_order_relaxed)) throw Interrupted();
  }

 private:
  std::atomic<bool> stopped_{false};
};

}  // namespace kmix
