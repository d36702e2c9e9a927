# Evaluation module (issue 5): metrics, k-means and k selection, linear probe, files, pictures.
list(APPEND RCC_LIB_SOURCES
  src/eval/metrics.c src/eval/kmeans.c src/eval/kselect.c src/eval/probe.c src/eval/io.c src/eval/plot.c src/eval/sphere.c)
list(APPEND RCC_CLI_SOURCES cli/cmd_eval.c cli/cmd_probe.c cli/cmd_kselect.c cli/cmd_plot.c)
list(APPEND RCC_PKG_MODULES cairo zlib libcjson)
