#include "app/crash_handler.h"

#include <execinfo.h>
#include <initializer_list>
#include <signal.h>
#include <string.h>
#include <unistd.h>

namespace tributary::app {
namespace {

void write_str(const char* s) { (void)!::write(STDERR_FILENO, s, ::strlen(s)); }

// Only async-signal-safe calls: write(2), backtrace_symbols_fd (no malloc once backtrace() has been
// called once, which install_crash_handler() does).
void on_fatal_signal(int signo) {
    write_str("\n*** tributary: fatal signal ");
    write_str(::strsignal(signo));
    write_str("; backtrace:\n");
    void* frames[64];
    int n = ::backtrace(frames, 64);
    ::backtrace_symbols_fd(frames, n, STDERR_FILENO);
    ::signal(signo, SIG_DFL);
    ::raise(signo);
}

}  // namespace

void install_crash_handler() {
    void* warm[1];
    ::backtrace(warm, 1);  // loads libgcc now, so the handler does not allocate later
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(s, &sa, nullptr);
}

}  // namespace tributary::app
