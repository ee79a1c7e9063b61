#include "storage/disk_executor.h"

#include <pthread.h>

#include <algorithm>

namespace tributary::storage {

thread_disk_executor::thread_disk_executor(std::string name) {
    thread_ = std::thread([this] { loop(); });
    name.resize(std::min<std::size_t>(name.size(), 15));  // the kernel's limit for thread names
    pthread_setname_np(thread_.native_handle(), name.c_str());
}

thread_disk_executor::~thread_disk_executor() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void thread_disk_executor::submit(std::unique_ptr<disk_task> task) {
    bool was_idle = false;
    {
        std::lock_guard lock(mu_);
        was_idle = queue_.empty() && idle_;
        queue_.push_back(std::move(task));
    }
    if (was_idle) cv_.notify_one();  // a busy thread finds the task when it takes the queue next
}

void thread_disk_executor::loop() {
    std::deque<std::unique_ptr<disk_task>> batch;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            idle_ = true;
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            idle_ = false;
            if (queue_.empty()) return;  // stopping, and everything queued has run
            batch.swap(queue_);          // take everything queued: one lock per burst, not per task
        }
        for (auto& task : batch) {
            task->run();
            task.reset();
        }
        batch.clear();
    }
}

thread_pool_disk_executor::thread_pool_disk_executor(std::string name, unsigned threads) {
    name.resize(std::min<std::size_t>(name.size(), 15));
    for (unsigned i = 0; i < std::max(threads, 1u); ++i) {
        threads_.emplace_back([this] { loop(); });
        pthread_setname_np(threads_.back().native_handle(), name.c_str());
    }
}

thread_pool_disk_executor::~thread_pool_disk_executor() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void thread_pool_disk_executor::submit(std::unique_ptr<disk_task> task) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void thread_pool_disk_executor::loop() {
    for (;;) {
        std::unique_ptr<disk_task> task;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and everything queued has run
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        task->run();
    }
}

}  // namespace tributary::storage
