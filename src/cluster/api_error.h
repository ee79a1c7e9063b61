// A Kafka error code with the message a response carries beside it (the ApiError of Kafka's
// controller): what the controller and the config checks return per topic or per resource.
#pragma once

#include <string>

#include "model/error_code.h"

namespace tributary::cluster {

struct api_error {
    model::error_code code = model::error_code::none;
    std::string message;  // empty: the response's error message is null

    bool ok() const { return code == model::error_code::none; }
    static api_error none() { return {}; }
};

inline api_error make_error(model::error_code code, std::string message = {}) {
    return api_error{code, std::move(message)};
}

}  // namespace tributary::cluster
