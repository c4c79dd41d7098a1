// Result<T, E>: a value or an error, for untrusted input that must never throw or crash
// (C++20 has no std::expected). Kept deliberately small.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace rs {

template <class E>
struct Err {
  // A constructor, not aggregate init: `Err(e)` must also build with clang < 16 (libFuzzer
  // builds), which lacks C++20 parenthesised aggregate initialisation.
  explicit Err(E e) : error(std::move(e)) {}
  E error;
};
template <class E>
Err(E) -> Err<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  template <class E2>
  Result(Err<E2> e) : v_(std::in_place_index<1>, std::move(e.error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const E& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  E& error() {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

// Result<void, E>
struct Ok {};
template <class E>
using Status = Result<Ok, E>;

}  // namespace rs
