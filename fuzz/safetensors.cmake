# Fuzz target for the safetensors parser.
