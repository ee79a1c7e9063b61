// On a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT), print the signal and a backtrace to
// stderr, then die of the same signal, so a crash leaves a trace in the broker's log.
#pragma once

namespace tributary::app {

void install_crash_handler();

}  // namespace tributary::app
