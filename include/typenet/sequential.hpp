// Sequential lives in combinators/sequential.hpp, beside the other combinators; this header keeps
// `#include <typenet/sequential.hpp>` working.
#pragma once

#include "combinators/sequential.hpp"
