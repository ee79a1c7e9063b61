#include "groups/group.h"

namespace tributary::groups {

std::string_view to_string(group_type t) {
    switch (t) {
        case group_type::classic: return "classic";
        case group_type::consumer: return "consumer";
    }
    return "unknown";
}

std::string_view to_string(classic_state s) {
    switch (s) {
        case classic_state::empty: return "Empty";
        case classic_state::preparing_rebalance: return "PreparingRebalance";
        case classic_state::completing_rebalance: return "CompletingRebalance";
        case classic_state::stable: return "Stable";
        case classic_state::dead: return "Dead";
    }
    return "Unknown";
}

}  // namespace tributary::groups
