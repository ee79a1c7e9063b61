#include "storage/read_buffers.h"

#include <array>
#include <bit>
#include <mutex>
#include <vector>

namespace tributary::storage {

namespace {
constexpr unsigned min_class_shift = 16;  // 64 KiB: smaller reads share the smallest class
constexpr unsigned max_class_shift = 26;  // 64 MiB: larger buffers are never cached
constexpr std::size_t class_count = max_class_shift - min_class_shift + 1;

unsigned class_shift(std::size_t size) {
    const std::size_t rounded = std::bit_ceil(std::max<std::size_t>(size, std::size_t{1} << min_class_shift));
    return static_cast<unsigned>(std::countr_zero(rounded));
}
}  // namespace

struct read_buffer_pool::state {
    explicit state(std::size_t max) : max_cached(max) {}

    const std::size_t max_cached;
    mutable std::mutex mutex;
    std::size_t cached = 0;
    std::array<std::vector<std::unique_ptr<bytes::byte[]>>, class_count> free;

    std::unique_ptr<bytes::byte[]> take(unsigned shift) {
        if (shift > max_class_shift) return nullptr;
        std::lock_guard lock(mutex);
        auto& list = free[shift - min_class_shift];
        if (list.empty()) return nullptr;
        auto out = std::move(list.back());
        list.pop_back();
        cached -= std::size_t{1} << shift;
        return out;
    }

    void give_back(std::unique_ptr<bytes::byte[]> data, std::size_t capacity) {
        if (!std::has_single_bit(capacity) || capacity > (std::size_t{1} << max_class_shift)) return;
        const unsigned shift = static_cast<unsigned>(std::countr_zero(capacity));
        std::lock_guard lock(mutex);
        if (cached + capacity > max_cached) return;  // `data` is freed on return
        free[shift - min_class_shift].push_back(std::move(data));
        cached += capacity;
    }
};

read_buffer_pool::read_buffer_pool(std::size_t max_cached_bytes)
    : state_(std::make_shared<state>(max_cached_bytes)) {}

read_buffer_pool::~read_buffer_pool() = default;

std::shared_ptr<read_buffer> read_buffer_pool::acquire(std::size_t size) {
    const unsigned shift = class_shift(size);
    const std::size_t capacity = shift <= max_class_shift ? std::size_t{1} << shift : size;
    auto data = state_->take(shift);
    if (!data) data = std::make_unique_for_overwrite<bytes::byte[]>(capacity);
    auto* buffer = new read_buffer(std::move(data), capacity);
    return std::shared_ptr<read_buffer>(buffer, [s = state_](read_buffer* b) {
        s->give_back(std::move(b->data_), b->capacity_);
        delete b;
    });
}

std::size_t read_buffer_pool::cached_bytes() const {
    std::lock_guard lock(state_->mutex);
    return state_->cached;
}

read_buffer_pool& read_buffer_pool::uncached() {
    static read_buffer_pool pool(0);
    return pool;
}

}  // namespace tributary::storage
