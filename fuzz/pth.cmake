# Fuzz targets for the zip reader and the unpickler.
