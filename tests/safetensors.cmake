# Tests of safetensors.hpp.
