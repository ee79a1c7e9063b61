// A value or an error, returned across module boundaries instead of throwing (C++20 has no
// std::expected). E is a small enum whose value-initialized state (0) means "no error".
//
//   util::result<header, batch_error> r = parse(bytes);
//   if (!r) return r.error();
//   use(*r);
#pragma once

#include <cassert>
#include <utility>

namespace tributary::util {

template <typename T, typename E>
class result {
public:
    // Implicit on purpose, so a function can `return value;` or `return error;`.
    result(T value) : value_(std::move(value)), error_{} {}
    result(E error) : value_{}, error_(error) { assert(error != E{}); }

    bool ok() const { return error_ == E{}; }
    explicit operator bool() const { return ok(); }
    E error() const { return error_; }

    // REQUIRES: ok().
    const T& value() const& {
        assert(ok());
        return value_;
    }
    T& value() & {
        assert(ok());
        return value_;
    }
    T&& value() && {
        assert(ok());
        return std::move(value_);
    }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

private:
    T value_;  // value-initialized when this holds an error; REQUIRES T default-constructible
    E error_;
};

}  // namespace tributary::util
