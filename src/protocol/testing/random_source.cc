#include "protocol/testing/random_source.h"

namespace tributary::protocol::testing {

void fill_unknown_tagged_fields(std::vector<tagged_field>& fields, std::uint32_t first_tag,
                                random_source& source) {
    fields.clear();
    std::uint32_t tag = first_tag;
    for (std::size_t n = source.count(); n > 0; --n) {
        // Gaps between tags, and now and then a tag that needs a multi-byte varint.
        tag += static_cast<std::uint32_t>(source.integer(0, 3));
        if (source.integer(0, 7) == 0) tag += static_cast<std::uint32_t>(source.integer(0, 100000));
        fields.push_back(tagged_field{tag, source.blob()});
        ++tag;
    }
}

}  // namespace tributary::protocol::testing
