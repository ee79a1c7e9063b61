// Compiles Boost.Asio's implementation once for the whole program (see asio.h).
#include <boost/asio/impl/src.hpp>
