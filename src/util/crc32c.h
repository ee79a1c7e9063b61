// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of Kafka's record batch
// v2 (KIP-98) and of iSCSI (RFC 3720).
//
// Conventions: the value is the standard one (register preset to ~0, final value inverted), so
// crc32c("123456789") == 0xE3069283. The `crc` argument continues a previous result:
//   crc32c(b, crc32c(a)) == crc32c(a + b)
// and crc32c({}) == 0.
#pragma once

#include <cstdint>

#include "bytes/bytes.h"

namespace tributary::util {

// Picks the fastest implementation this CPU supports (chosen once, on first call).
std::uint32_t crc32c(bytes::bytes_view data, std::uint32_t crc = 0);

// Table-driven (slicing-by-8), any CPU. Exposed so tests compare it with the hardware path.
std::uint32_t crc32c_portable(bytes::bytes_view data, std::uint32_t crc = 0);

// True iff this CPU has the SSE4.2 crc32 instruction.
bool crc32c_hardware_available();

// The SSE4.2 crc32 instruction, three interleaved streams on long inputs.
// REQUIRES: crc32c_hardware_available().
std::uint32_t crc32c_hardware(bytes::bytes_view data, std::uint32_t crc = 0);

}  // namespace tributary::util
