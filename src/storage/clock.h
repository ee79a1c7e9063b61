// Wall-clock time for the storage engine (segment.ms, retention.ms, LogAppendTime, producer expiry),
// behind an interface so tests can move time by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tributary::storage {

class clock {
public:
    virtual ~clock() = default;
    // Milliseconds since the Unix epoch. Thread-safe.
    virtual std::int64_t now_ms() const = 0;
};

class system_clock final : public clock {
public:
    std::int64_t now_ms() const override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

// A clock that moves only when told to.
class manual_clock final : public clock {
public:
    explicit manual_clock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
    std::int64_t now_ms() const override { return now_.load(); }
    void advance_ms(std::int64_t ms) { now_ += ms; }
    void set_ms(std::int64_t ms) { now_ = ms; }

private:
    std::atomic<std::int64_t> now_;
};

// The process-wide system clock.
inline const clock& default_clock() {
    static const system_clock c;
    return c;
}

}  // namespace tributary::storage
