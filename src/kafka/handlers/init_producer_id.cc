#include "kafka/handlers/init_producer_id.h"

#include "cluster/controller.h"
#include "model/error_code.h"

namespace tributary::kafka {

awaitable<protocol::init_producer_id_response> init_producer_id_handler::handle(request_context& ctx, request req) {
    response resp;
    if (req.transactional_id && !req.transactional_id->empty()) {
        resp.error_code = model::to_int(model::error_code::invalid_request);
        co_return resp;
    }
    // Kafka gives an idempotent producer a fresh id at epoch 0 each time, also when it names its old
    // id and epoch (KIP-360): without a transactional id there is no state to bump an epoch in.
    auto allocated = co_await ctx.broker->metadata->controller->allocate_producer_id();
    resp.error_code = model::to_int(allocated.error);
    if (allocated.error == model::error_code::none) {
        resp.producer_id = allocated.id;
        resp.producer_epoch = 0;
    }
    co_return resp;
}

}  // namespace tributary::kafka
