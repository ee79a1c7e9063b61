// Raft under random schedules: each seed draws a cluster size (3 or 5), a fault profile and a run of
// faults, then heals and checks liveness (simulation.h lists the properties checked after every step).
//
//   TRIBUTARY_RAFT_SEEDS=N    how many seeds (default: 2,000 in an optimised build, 60 in the sanitizer
//                             build; 20,000 with TRIBUTARY_SOAK=1)
//   TRIBUTARY_RAFT_SEED=S     run only seed S (a failure prints its seed)
//   TRIBUTARY_RAFT_TICKS=T    fault-phase length per seed (default 1500 ticks)
//   TRIBUTARY_RAFT_TRACE=1    record every delivered message in the failure's event list
#include <cstdlib>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "simulation.h"

namespace tributary::raft::testing {
namespace {

std::int64_t env_or(const char* name, std::int64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoll(v) : fallback;
}

#ifdef NDEBUG
constexpr std::int64_t default_seeds = 2000;
#else
constexpr std::int64_t default_seeds = 60;
#endif

std::string run_seed(std::uint64_t seed, int ticks, simulation::stats* out = nullptr) {
    std::mt19937_64 rng(seed);
    const int voters = rng() % 3 == 0 ? 5 : 3;
    const int observers = static_cast<int>(rng() % 3);
    simulation sim(seed, voters, observers, random_profile(rng));
    auto failure = sim.run(ticks, 3000);
    if (out) *out = sim.counters();
    return failure;
}

TEST(RaftSimulation, SafetyAndLivenessHoldUnderRandomFaults) {
    const auto ticks = static_cast<int>(env_or("TRIBUTARY_RAFT_TICKS", 1500));
    std::vector<std::uint64_t> seeds;
    if (const auto one = env_or("TRIBUTARY_RAFT_SEED", -1); one >= 0) {
        seeds.push_back(static_cast<std::uint64_t>(one));
    } else {
        const auto count = env_or("TRIBUTARY_RAFT_SEEDS", std::getenv("TRIBUTARY_SOAK") ? 20000 : default_seeds);
        for (std::int64_t s = 1; s <= count; ++s) seeds.push_back(static_cast<std::uint64_t>(s));
    }
    simulation::stats total;
    for (auto seed : seeds) {
        simulation::stats s;
        auto failure = run_seed(seed, ticks, &s);
        ASSERT_TRUE(failure.empty()) << failure << "\nrerun: TRIBUTARY_RAFT_SEED=" << seed;
        total.committed += s.committed;
        total.elections += s.elections;
        total.crashes += s.crashes;
        total.partitions += s.partitions;
        total.messages += s.messages;
        total.dropped += s.dropped;
        total.truncations += s.truncations;
        total.resets += s.resets;
        total.resignations += s.resignations;
        total.reconfigurations += s.reconfigurations;
    }
    // The faults must actually have happened, or the run proves little.
    EXPECT_GT(total.crashes, 0);
    EXPECT_GT(total.partitions, 0);
    EXPECT_GT(total.truncations, 0);
    EXPECT_GT(total.resets, 0);
    EXPECT_GT(total.resignations, 0);
    EXPECT_GT(total.reconfigurations, 0);
    EXPECT_GT(total.elections, static_cast<std::int64_t>(seeds.size()));
    std::printf("%zu seeds: %lld entries committed, %lld elections, %lld crashes, %lld partitions, %lld messages "
                "(%lld dropped), %lld truncations, %lld log resets, %lld resignations, %lld voter changes\n",
                seeds.size(), static_cast<long long>(total.committed), static_cast<long long>(total.elections),
                static_cast<long long>(total.crashes), static_cast<long long>(total.partitions),
                static_cast<long long>(total.messages), static_cast<long long>(total.dropped),
                static_cast<long long>(total.truncations), static_cast<long long>(total.resets),
                static_cast<long long>(total.resignations), static_cast<long long>(total.reconfigurations));
}

TEST(RaftSimulation, ASeedReproducesItsRun) {
    simulation::stats a, b;
    ASSERT_EQ(run_seed(7, 800, &a), "");
    ASSERT_EQ(run_seed(7, 800, &b), "");
    EXPECT_EQ(a.committed, b.committed);
    EXPECT_EQ(a.messages, b.messages);
    EXPECT_EQ(a.elections, b.elections);
    EXPECT_EQ(a.dropped, b.dropped);
}

}  // namespace
}  // namespace tributary::raft::testing
