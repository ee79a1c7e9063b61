#include "rpc/errors.h"

namespace tributary::rpc {

std::string_view to_string(rpc_error e) {
    switch (e) {
    case rpc_error::none: return "none";
    case rpc_error::connect_failed: return "connect failed";
    case rpc_error::disconnected: return "disconnected";
    case rpc_error::timed_out: return "timed out";
    case rpc_error::malformed_response: return "malformed response";
    case rpc_error::closed: return "client closed";
    }
    return "unknown rpc error";
}

}  // namespace tributary::rpc
