# Data module: readers (IDX, .npy, PNG/JPEG folders), resize, augmentations, prefetching loader;
# and `rcc views`. See docs/data.md.
list(APPEND RCC_LIB_SOURCES
  src/data/dataset.c src/data/subset.c src/data/readers.c src/data/image.c src/data/resize.c src/data/augment.c src/data/loader.c src/data/view.c src/data/png_out.c)
list(APPEND RCC_CLI_SOURCES cli/cmd_views.c cli/cmd_subset.c)
list(APPEND RCC_PKG_MODULES zlib libpng libjpeg)
