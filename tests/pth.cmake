# Tests of pth.hpp and the zip, pickle and file machinery behind it.
