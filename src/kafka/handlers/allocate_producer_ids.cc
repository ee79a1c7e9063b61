#include "kafka/handlers/allocate_producer_ids.h"

#include "cluster/controller.h"

namespace tributary::kafka {

awaitable<protocol::allocate_producer_ids_response> allocate_producer_ids_handler::handle(request_context& ctx,
                                                                                         request req) {
    response resp;
    auto* controller = ctx.broker->metadata->controller;
    if (controller == nullptr) {
        resp.error_code = model::to_int(model::error_code::not_controller);
        co_return resp;
    }
    auto allocating = controller->allocate_producer_block(req.broker_id);
    auto block = co_await std::move(allocating);
    resp.error_code = model::to_int(block.error);
    if (block.error == model::error_code::none) {
        resp.producer_id_start = block.start;
        resp.producer_id_len = block.length;
    }
    co_return resp;
}

}  // namespace tributary::kafka
