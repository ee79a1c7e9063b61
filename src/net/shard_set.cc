#include "net/shard_set.h"

#include <cassert>

namespace tributary::net {
namespace {
thread_local unsigned this_shard = shard_set::no_shard;
}  // namespace

shard_set::shard_set(unsigned count) {
    assert(count >= 1);
    for (unsigned i = 0; i < count; ++i) {
        contexts_.push_back(std::make_unique<asio::io_context>(1));
        guards_.push_back(asio::make_work_guard(*contexts_.back()));
    }
}

shard_set::~shard_set() {
    stop();
    join();
}

unsigned shard_set::current() { return this_shard; }

void shard_set::start() {
    for (unsigned i = 0; i < size(); ++i) {
        threads_.emplace_back([this, i] {
            this_shard = i;
            contexts_[i]->run();
            this_shard = no_shard;
        });
    }
}

void shard_set::stop() {
    for (auto& c : contexts_) c->stop();
}

void shard_set::join() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

}  // namespace tributary::net
