# Evaluation module (issue 5): metrics, k-means and k selection, linear probe, use of the sphere,
# files (public header include/rcc_eval.h). The pictures are src/plot/.
list(APPEND RCC_LIB_SOURCES
  src/eval/metrics.c src/eval/kmeans.c src/eval/kselect.c src/eval/probe.c src/eval/io.c src/eval/sphere.c
  src/eval/project.c src/eval/partition.c src/eval/vote.c)
list(APPEND RCC_CLI_SOURCES cli/cmd_eval.c cli/cmd_probe.c cli/cmd_kselect.c)
list(APPEND RCC_PKG_MODULES zlib libcjson)
